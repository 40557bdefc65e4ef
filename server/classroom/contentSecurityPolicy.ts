import type { RequestHandler } from 'express';

/**
 * The Content-Security-Policy of the built page. Everything it loads is its own (Vite emits
 * scripts and styles as files, no inline `<script>`), and it talks only to its own origin: the
 * lanes, the tap and the labs are all same-origin (`'self'` covers `ws:` to the same host and
 * port, CSP Level 3). The cross-origin lab's foreign requests are made by the *second* origin's
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

/**
 * Sends the policy with the page and its assets. Not for `--dev`: Vite's dev server injects
 * styles and its hot-reload client inline, which this policy would (rightly) refuse.
 */
export const pageSecurityHeaders: RequestHandler = (_req, res, next) => {
  res.set('Content-Security-Policy', contentSecurityPolicy);
  next();
};
