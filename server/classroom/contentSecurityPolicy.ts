import type { RequestHandler } from 'express';
import { httpsOriginFor, type HttpsPort } from '../tls/secureOrigin.ts';

/**
 * The Content-Security-Policy of the built page. Everything it loads is its own (Vite emits
 * scripts and styles as files, no inline `<script>`), and it talks only to its own origin: the
 * lanes, the tap and the labs are all same-origin (`'self'` covers `ws:` to the same host and
 * port, CSP Level 3), except the lanes over HTTPS: when the HTTPS port is on, `connect-src` also
 * names the same host's HTTPS origin (`https://host:HTTPS_PORT`, see `tls/secureOrigin.ts`). The cross-origin lab's foreign requests are made by the *second* origin's
 * copy of the page, which the second-origin server serves without this policy.
 *
 * - `style-src-attr 'unsafe-inline'` is not needed: Svelte sets `style:` directives through the
 *   CSSOM (`element.style`), which CSP does not govern; only `style="…"` in markup would be.
 * - `img-src data:` for inline SVG icons a bundler may turn into data URLs.
 * - `frame-ancestors 'none'`: no other site can frame the presenter's page and click for them.
 *
 * https://www.w3.org/TR/CSP3/
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The policy with `connect-src` also allowing `httpsOrigin` (the page's streams over HTTP/2). */
export function contentSecurityPolicyWith(httpsOrigin: string | undefined): string {
  return httpsOrigin ? contentSecurityPolicy.replace("connect-src 'self'", `connect-src 'self' ${httpsOrigin}`) : contentSecurityPolicy;
}

/**
 * Sends the policy with the page and its assets. Not for `--dev`: Vite's dev server injects
 * styles and its hot-reload client inline, which this policy would (rightly) refuse.
 */
export function pageSecurityHeaders(httpsPort: HttpsPort = () => null): RequestHandler {
  return (req, res, next) => {
    res.set('Content-Security-Policy', contentSecurityPolicyWith(httpsOriginFor(req, httpsPort())));
    next();
  };
}
