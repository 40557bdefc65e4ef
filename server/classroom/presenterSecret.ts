import type { Concealed } from '../wiretap/wireTap.ts';
import { ExactBytesFinder } from '../wiretap/exactBytesFinder.ts';
import type { Presenter } from './presenter.ts';

/**
 * The presenter token is the server's own secret, as an upstream key is: the presenter's screen
 * is projected to the room, and the presenter's browser sends the token with every request it
 * makes (the `streamscope-presenter` cookie, any port of this host). So the tap masks the token's
 * bytes for every listener, the presenter included, in every mode, on every connection: in a
 * `Cookie` or `Authorization: Bearer` header, a `/present?token=` request line, the `Set-Cookie`
 * of `/present`, wherever else they show up (`ExactBytesFinder` says what it guarantees across
 * chunks). HTTP/2 header blocks are HPACK-coded, so no byte search finds the token there: the
 * tap decodes them and masks a block whose fields carry the token whole (`fields`,
 * `server/wiretap/h2Conceal.ts`).
 *
 * The token is a fixed string of 8 to 128 URL-safe characters (`main.ts` checks one from the
 * environment; a random one is base64url), never percent-encoded in a URL or a cookie, so its
 * bytes on the wire are its characters.
 */
export function presenterConcealer(presenter: Pick<Presenter, 'token'>): () => Concealed {
  const token = presenter.token;
  return () => ({
    read: new ExactBytesFinder(token),
    write: new ExactBytesFinder(token),
    fields: (name, value) => value.includes(token) || name.includes(token),
  });
}
