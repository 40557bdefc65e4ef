import type { IncomingHttpHeaders } from 'node:http';
import { sameOrigin } from './cors.ts';

export interface WsOriginRule {
  /**
   * `true`: the server checks `Origin` (what `/api/stream/ws` does); `false`: it never looks,
   * so any page on any origin can open the socket, and the browser sends the user's cookies
   * with the handshake: cross-site WebSocket hijacking.
   */
  checked: boolean;
  /** Foreign origins accepted in checked mode. */
  allowedOrigins: readonly string[];
}

/**
 * Whether a WebSocket handshake with these headers is accepted. CORS does not apply to
 * WebSockets: the browser connects to any origin and only reports its own in `Origin`; refusing
 * foreign pages is the server's job. No `Origin` (a non-browser client) is accepted: it is not a
 * page that could be acting for a logged-in user.
 * https://www.rfc-editor.org/rfc/rfc6455#section-10.2
 */
export function wsOriginAllowed(headers: Pick<IncomingHttpHeaders, 'origin' | 'host'>, rule: WsOriginRule): boolean {
  if (!rule.checked) return true;
  const origin = headers.origin;
  return origin === undefined || sameOrigin(origin, headers.host) || rule.allowedOrigins.includes(origin);
}
