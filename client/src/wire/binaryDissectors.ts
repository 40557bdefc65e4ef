/**
 * The dissectors of the binary protocols, HTTP/2 (with HPACK) and the TLS record layer: most of
 * the page's wire code by size, and needed only for connections on the HTTPS port, so the page
 * loads them as a chunk of their own (`loadBinaryDissectors` in `dissectors.ts`).
 */
export { Http2Dissector } from './http2.ts';
export { TlsDissector } from './tls.ts';
