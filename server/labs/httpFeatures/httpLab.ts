import type { IncomingMessage } from 'node:http';
import { AccessLog, type AccessLogOptions } from './accessLog.ts';
import type { AccessLogEntry } from '../../../shared/accessLog.ts';
import { CorsPolicy } from './cors.ts';
import { Sessions } from './sessions.ts';
import { wsOriginAllowed } from './wsOrigin.ts';
import { anonymousLearner, learnerOf } from '../learner.ts';
import { LearnerStates } from '../LearnerStates.ts';

/** One learner's switches in the HTTP features and cross-origin labs. */
export interface HttpLabSettings {
  /** The CORS lab's stream lets the second origin read it (`PUT /api/labs/http/cors`). @default false */
  allowSecondOrigin: boolean;
  /** The lab's WebSocket checks `Origin` (`PUT /api/labs/http/ws-origin-check`). @default true */
  wsOriginCheck: boolean;
}

export interface HttpLabOptions {
  /** Foreign origins the CORS lab's stream always allows. @default [] (same-origin only) */
  corsOrigins?: readonly string[];
  /** The second origin's port, if known yet (else set `lab.cors.secondOriginPort` once it listens). @default null */
  secondOriginPort?: number | null;
  /** Foreign origins the lab's WebSocket Origin check accepts. @default [] */
  wsAllowedOrigins?: readonly string[];
  /** Size of the access log and where its lines are printed. */
  accessLog?: AccessLogOptions;
  /** Learners whose switches are kept (`LearnerStates`). @default 5000 */
  maxLearners?: number;
}

/**
 * What the HTTP features lab keeps between requests: sessions, the access log and the two
 * switches. One per server, shared by its routes (`httpFeaturesRoutes`) and its `'upgrade'`
 * listener, which Express middleware never sees (`logUpgrade`, `wsOriginAllows`). The access log
 * is the server's, seen by all; the switches are each learner's own (`learnerOf` the request's
 * cookies), and a login is each browser's own already (its session cookie).
 */
export class HttpLab {
  readonly sessions = new Sessions();
  readonly accessLog: AccessLog;
  readonly cors: CorsPolicy;
  readonly wsAllowedOrigins: readonly string[];
  readonly #learners: LearnerStates<HttpLabSettings>;

  constructor({ corsOrigins = [], secondOriginPort = null, wsAllowedOrigins = [], accessLog, maxLearners }: HttpLabOptions = {}) {
    this.accessLog = new AccessLog(accessLog);
    this.cors = new CorsPolicy(corsOrigins, secondOriginPort);
    this.wsAllowedOrigins = wsAllowedOrigins;
    this.#learners = new LearnerStates<HttpLabSettings>({ create: () => ({ allowSecondOrigin: false, wsOriginCheck: true }), max: maxLearners });
  }

  /** A learner's switches, to read. */
  settings(learner: string): Readonly<HttpLabSettings> {
    return this.#learners.peek(learner) ?? { allowSecondOrigin: false, wsOriginCheck: true };
  }

  /** Changes a learner's switches. */
  set(learner: string, change: Partial<HttpLabSettings>): Readonly<HttpLabSettings> {
    return Object.assign(this.#learners.get(learner), change);
  }

  /** The anonymous learner's Origin check (clients without a learner cookie: scripts, tests). */
  get wsOriginCheck(): boolean {
    return this.settings(anonymousLearner).wsOriginCheck;
  }

  set wsOriginCheck(wsOriginCheck: boolean) {
    this.set(anonymousLearner, { wsOriginCheck });
  }

  /** Whether the request's learner has the second origin switched on. */
  allowsSecondOrigin = (req: Pick<IncomingMessage, 'headers'>): boolean => this.settings(learnerOf(req.headers)).allowSecondOrigin;

  /**
   * Logs a WebSocket handshake: the request line, whether a session cookie came with it and
   * whether it proves a session. Call it first thing in the server's `'upgrade'` listener; the
   * messages that follow the handshake never reach the log. Bound, so it can be passed around.
   */
  logUpgrade = (req: IncomingMessage): AccessLogEntry => this.accessLog.logUpgrade(req, this.sessions.identify(req.headers));

  /**
   * Whether a WebSocket handshake passes the lab's Origin check as its learner has switched it.
   * Browsers send cookies on the handshake, from a foreign page too (same-site, or `SameSite=None`):
   * the learner cookie says whose switch applies.
   */
  wsOriginAllows = (req: IncomingMessage): boolean =>
    wsOriginAllowed(req.headers, { checked: this.settings(learnerOf(req.headers)).wsOriginCheck, allowedOrigins: this.wsAllowedOrigins });
}
