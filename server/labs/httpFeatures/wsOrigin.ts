import type { IncomingHttpHeaders } from 'node:http';
import { originAllowed } from '../../origin.ts';

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

/** Whether a WebSocket handshake passes the rule: anything when unchecked, else the usual Origin check. */
export function wsOriginAllowed(headers: Pick<IncomingHttpHeaders, 'origin' | 'host'>, rule: WsOriginRule): boolean {
  return !rule.checked || originAllowed(headers, rule.allowedOrigins);
}
