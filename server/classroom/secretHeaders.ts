/** The secret finders live in `shared/secretHeaders.ts` (the page masks exports with them too). */
export { SecretHeaderScanner, SecretQueryScanner, allSecrets, secretHeaderNames } from '../../shared/secretHeaders.ts';
