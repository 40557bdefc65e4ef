import type { IncomingHttpHeaders } from 'node:http';

/** Whether a request's `Origin` names the very host it was sent to (same scheme assumed). */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Whether a WebSocket handshake with these headers may go on. CORS does not apply to WebSockets:
 * the browser connects to any origin and only reports its own in `Origin`, so refusing foreign
 * pages is the server's job. No `Origin` (a non-browser client) is accepted: it is not a page
 * that could be acting for a logged-in user. https://www.rfc-editor.org/rfc/rfc6455#section-10.2
 */
export function originAllowed(headers: Pick<IncomingHttpHeaders, 'origin' | 'host'>, allowedOrigins: readonly string[]): boolean {
  const origin = headers.origin;
  return origin === undefined || sameOrigin(origin, headers.host) || allowedOrigins.includes(origin);
}
