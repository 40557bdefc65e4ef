import type { IncomingMessage } from 'node:http';
import { AccessLog, type AccessLogEntry, type AccessLogOptions } from './accessLog.ts';
import { CorsPolicy } from './cors.ts';
import { Sessions } from './sessions.ts';
import { wsOriginAllowed } from './wsOrigin.ts';

export interface HttpLabOptions {
  /** Foreign origins the CORS lab's stream always allows. @default [] (same-origin only) */
  corsOrigins?: readonly string[];
  /** The second origin's port, if known yet (else set `lab.cors.secondOriginPort` once it listens). @default null */
  secondOriginPort?: number | null;
  /** Foreign origins the lab's WebSocket Origin check accepts. @default [] */
  wsAllowedOrigins?: readonly string[];
  /** Size of the access log and where its lines are printed. */
  accessLog?: AccessLogOptions;
}

/**
 * What the HTTP features lab keeps between requests: sessions, the access log and the two
 * toggles. One per server, shared by its routes (`httpFeaturesRoutes`) and its `'upgrade'`
 * listener, which Express middleware never sees (`logUpgrade`, `wsOriginAllows`).
 */
export class HttpLab {
  readonly sessions = new Sessions();
  readonly accessLog: AccessLog;
  readonly cors: CorsPolicy;
  /** Whether the lab's WebSocket checks `Origin` (`PUT /api/labs/http/ws-origin-check`). @default true */
  wsOriginCheck = true;
  readonly wsAllowedOrigins: readonly string[];

  constructor({ corsOrigins = [], secondOriginPort = null, wsAllowedOrigins = [], accessLog }: HttpLabOptions = {}) {
    this.accessLog = new AccessLog(accessLog);
    this.cors = new CorsPolicy(corsOrigins, secondOriginPort);
    this.wsAllowedOrigins = wsAllowedOrigins;
  }

  /**
   * Logs a WebSocket handshake: the request line, whether a session cookie came with it and
   * whether it proves a session. Call it first thing in the server's `'upgrade'` listener; the
   * messages that follow the handshake never reach the log. Bound, so it can be passed around.
   */
  logUpgrade = (req: IncomingMessage): AccessLogEntry => this.accessLog.logUpgrade(req, this.sessions.identify(req.headers));

  /** Whether a WebSocket handshake passes the lab's Origin check in its current mode. */
  wsOriginAllows = (req: IncomingMessage): boolean => wsOriginAllowed(req.headers, { checked: this.wsOriginCheck, allowedOrigins: this.wsAllowedOrigins });
}
