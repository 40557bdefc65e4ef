import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import { Problem, problemHandler } from './problem.ts';
import { prompts } from './model/prompts.ts';
import { replyFor } from './model/reply.ts';
import { parseSettings } from './model/settings.ts';
import { replyBounds, replyDefaults } from '../shared/replySettings.ts';
import { StreamLimiter } from './transports/streamLimiter.ts';
import { repliesFor, type TransportContext } from './transports/transport.ts';
import { Replies } from './replies/replies.ts';
import type { ReplyLog } from './replies/replyLog.ts';
import { repliesRoute } from './replies/repliesRoute.ts';
import { sseTransport } from './transports/sse.ts';
import { bufferedTransport } from './transports/buffered.ts';
import { openaiTransport, modelsRoute } from './transports/openai.ts';
import { anthropicRouter } from './transports/anthropic.ts';
import { websocketTransport } from './transports/websocket.ts';
import { WireTap, runOf } from './wiretap/wireTap.ts';
import { tapRoute } from './wiretap/tapRoute.ts';
import { tapPath } from '../shared/tap.ts';
import { instanceHeader } from '../shared/instanceHeader.ts';
import { Presenter } from './classroom/presenter.ts';
import { presenterConcealer } from './classroom/presenterSecret.ts';
import { followRoutes, type FollowOptions } from './follow/followRoutes.ts';
import type { ClassBus } from './follow/classBus.ts';
import { balancedTapGuard, tapGuard } from './classroom/tapGuard.ts';
import { SecretHeaderScanner, SecretQueryScanner, allSecrets } from './classroom/secretHeaders.ts';
import { Upstream, generationSource, type UpstreamConfig } from './upstream/upstream.ts';
import { inspectRoute } from './inspect/inspectRoute.ts';
import type { InspectLimits } from './inspect/inspectGuard.ts';
import { pageSecurityHeaders } from './classroom/contentSecurityPolicy.ts';
import { httpsPortRoute, secureCors, secureCorsPaths } from './tls/secureOrigin.ts';
import type { AddressInfo } from 'node:net';

export interface AppOptions {
  /** Streams one client address may hold open at once; more get 429. @default 50 */
  maxStreamsPerClient?: number;
  /** Foreign origins whose pages may open WebSockets. @default [] */
  allowedOrigins?: readonly string[];
  /** ms of silence before an SSE stream sends a `:` comment. @default 2500 */
  heartbeatMs?: number;
  /** The SSE `retry:` hint in ms. @default 1000 */
  retryMs?: number;
  /** ms between WebSocket pings. @default 30000 */
  pingMs?: number;
  /** Folder of the built page, served with a fallback to its index.html. @default dist/ if built */
  staticDir?: string | null;
  /** Extra middleware in front of the page, e.g. Vite's dev server (`npm run dev`). */
  pageMiddleware?: RequestHandler;
  /**
   * Names this server in an `X-Streamscope-Instance` header on every response and WebSocket
   * handshake (the load-balancer lab runs several). @default none
   */
  instance?: string;
  /** Mounts more routes (the labs) after the API's own and before its 404. */
  routes?: (app: express.Express, ctx: TransportContext) => void;
  /**
   * Sees every WebSocket handshake first; Express middleware never does, so this is how an
   * access log learns of one (the HTTP features lab).
   */
  onUpgrade?: (req: IncomingMessage) => void;
  /** Takes WebSocket upgrades on more paths (the labs); returns true for one it took. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer, app: { tap: WireTap; limiter: StreamLimiter }) => boolean;
  /** Who drives the class (the token `main.ts` prints). @default a random token */
  presenter?: Presenter;
  /** The follow channel's options (followers held at once, heartbeat, the broadcast's caps; `followRoutes.ts`). @default its defaults */
  follow?: FollowOptions;
  /**
   * Classroom mode (`HOST=0.0.0.0`): other people's browsers reach this server, so the tap and the
   * audience controls are guarded (see `server/classroom/`). @default false
   */
  classroom?: boolean;
  /**
   * Where replies are logged: this instance's own log in memory (the default), or a store several
   * instances share (Redis, `STREAMSCOPE_REDIS_URL`). The app does not close a log it was given.
   */
  replyLog?: ReplyLog;
  /**
   * A second log, shared with other instances, that a request asks for with the
   * `X-Streamscope-Log: shared` header: the load-balancer lab's instances get one, and its
   * balancer sets the header by the learner's "log" switch. @default none (the header is ignored)
   */
  sharedReplyLog?: ReplyLog;
  /**
   * A real model behind Streamscope (`STREAMSCOPE_UPSTREAM_URL`, `_KIND`, `_KEY`): `/v1/models`
   * lists its models as `upstream/<id>`, and any transport takes its tokens from one. @default none
   */
  upstream?: UpstreamConfig;
  /**
   * On a shared reply log, ms an upstream model's generation runs on after its readers here left
   * (then its request is aborted; see `Replies`). @default 30000
   */
  upstreamRunOnMs?: number;
  /** Tighter limits for `/api/inspect/sse` (tests). @default `inspectLimits` */
  inspectLimits?: Partial<InspectLimits>;
  /**
   * Where the class (position, blank screen, follower count, broadcast run) is kept: this process,
   * or Redis shared by the processes of a hall (`configuredClassBus`). The app does not close a
   * bus it was given. @default this process (`MemoryClassBus`)
   */
  classBus?: ClassBus;
  /**
   * The HTTPS port serving this app, when known before it is bound; else `setHttpsPort` after
   * `listen` (what `main.ts` does). @default none: `GET /api/https` answers `{ "port": null }`
   */
  httpsPort?: number;
}

export interface StreamscopeApp {
  /** The HTTP server, not yet listening: `main.ts` binds it, tests use port 0. */
  server: Server;
  app: express.Express;
  tap: WireTap;
  limiter: StreamLimiter;
  presenter: Presenter;
  /** The upstream model's client, when one is configured. */
  upstream?: Upstream;
  /**
   * Tells the app the port its HTTPS server listens on (`null`: none), once bound: the page reads
   * it from `GET /api/https`, and its Content-Security-Policy lets it connect there.
   */
  setHttpsPort(port: number | null): void;
  /** Stops timers and WebSocket sessions and closes the server and its connections. */
  close(): Promise<void>;
}

/**
 * Request heads must fit `text` of 20,000 characters in the query string (EventSource can only
 * GET), URL-encoded at up to 12 bytes a character (an emoji: 4 UTF-8 bytes, each %XX): far above Node's 16 KiB default.
 */
export const maxHeaderSize = 512 * 1024;

export const defaultStaticDir = path.resolve(import.meta.dirname, '../dist');

/** Builds the whole server: routes, transports, wire tap. Binds no port. */
export function createApp(options: AppOptions = {}): StreamscopeApp {
  const presenter = options.presenter ?? new Presenter();
  // Classroom mode masks credentials for everyone but the presenter: in header fields, and in the
  // `header=` parameters an inspected request's headers ride in. The presenter token is masked for
  // everyone, the presenter included, in every mode: the presenter's screen is projected.
  const tap = new WireTap({
    ...(options.classroom ? { secrets: () => allSecrets(new SecretHeaderScanner(), new SecretQueryScanner()) } : {}),
    conceal: presenterConcealer(presenter),
  });
  const limiter = new StreamLimiter(options.maxStreamsPerClient ?? 50);
  const upstream = options.upstream ? new Upstream(options.upstream, { tap }) : undefined;
  // Generations: the simulated model, and the upstream's for `upstream/<id>` models.
  const source = generationSource(upstream);
  const runOn = options.upstreamRunOnMs === undefined ? {} : { upstreamRunOnMs: options.upstreamRunOnMs };
  const replies = new Replies(options.replyLog, source, runOn);
  const ctx: TransportContext = {
    limiter,
    // This instance's reply logs (the load-balancer lab's instances each have their own).
    replies,
    ...(options.sharedReplyLog ? { sharedReplies: new Replies(options.sharedReplyLog, source, runOn) } : {}),
    heartbeatMs: options.heartbeatMs ?? 2500,
    retryMs: options.retryMs ?? 1000,
    // How each response's generation ended goes to the tap beside its bytes.
    report: (socket, report) => tap.report(socket, report),
  };
  const websocket = websocketTransport(ctx, { allowedOrigins: options.allowedOrigins ?? [], pingMs: options.pingMs ?? 30_000, instance: options.instance });

  let httpsPort = options.httpsPort ?? null;
  const app = express();
  app.disable('x-powered-by');
  // Same settings, same bytes: no ETag computed from bodies on API answers.
  app.set('etag', false);
  app.set('query parser', 'simple');
  if (options.instance) {
    const instance = options.instance;
    app.use((_req, res, next) => {
      res.set(instanceHeader, instance);
      next();
    });
  }

  // On the HTTPS port, a page on the same host's plain port may read the streams (tls/secureOrigin.ts).
  app.use(
    secureCorsPaths,
    secureCors(() => (server.address() as AddressInfo | null)?.port ?? null),
  );
  const api = express.Router();
  api.get(
    '/https',
    httpsPortRoute(() => httpsPort),
  );
  // The list never changes while the server runs: build it once, on the first request.
  let promptList: object | undefined;
  api.get('/prompts', (_req, res) => {
    promptList ??= {
      defaults: replyDefaults,
      bounds: replyBounds,
      prompts: prompts.map((p) => ({ id: p.id, title: p.title, prompt: p.prompt, tokens: replyFor(parseSettings({ prompt: p.id })).tokens.length })),
    };
    res.json(promptList);
  });
  api.get('/stream/sse', sseTransport(ctx));
  api.get('/stream/http', bufferedTransport(ctx));
  api.get(
    '/replies/:id',
    repliesRoute((req) => repliesFor(ctx, req).log),
  );
  // Any SSE endpoint, opened by the server with both legs tapped (guarded: see inspectGuard.ts).
  api.get('/inspect/sse', inspectRoute({ tap, limiter, classroom: options.classroom ?? false, presenter, limits: options.inspectLimits }));
  api.get('/stream/ws', (_req, _res) => {
    throw new Problem(400, 'This endpoint speaks WebSocket: connect with an Upgrade request (new WebSocket(url) in a browser).');
  });
  app.use('/api', api);
  app.get(tapPath, tapRoute(tap, { guard: options.classroom ? tapGuard(presenter) : undefined }));

  const v1 = express.Router();
  v1.get('/models', modelsRoute(upstream));
  v1.post('/chat/completions', express.json({ limit: '1mb', type: () => true }), openaiTransport(ctx));
  v1.all('/chat/completions', (_req, res) => {
    res.set('Allow', 'POST');
    throw new Problem(405, 'Use POST for /v1/chat/completions.');
  });
  app.use('/v1', v1);
  app.use('/v1', anthropicRouter(ctx));
  app.use(followRoutes(presenter, { ...options.follow, ...(options.classBus ? { bus: options.classBus } : {}) }));
  if (options.classroom) app.use(`/lb${tapPath}`, balancedTapGuard(presenter));
  options.routes?.(app, ctx);

  app.all(['/api/{*rest}', '/v1/{*rest}'], (req) => {
    throw new Problem(404, `There is no ${req.method} ${req.path}. See the README for the API.`);
  });

  if (options.pageMiddleware) app.use(options.pageMiddleware);
  const staticDir = options.staticDir === undefined ? (existsSync(defaultStaticDir) ? defaultStaticDir : null) : options.staticDir;
  if (staticDir) {
    app.use(pageSecurityHeaders(() => httpsPort));
    app.use(express.static(staticDir, { index: 'index.html' }));
    // Deep links (/lessons/…) are the page's own routes.
    app.get('/{*splat}', (_req, res) => res.sendFile(path.join(staticDir, 'index.html')));
  }
  app.use(problemHandler);

  const server = createServer({ maxHeaderSize }, app);
  server.on('connection', (socket) => tap.attach(socket));
  // Runs before Express: the tap must know a request's run before its bytes are delivered.
  server.prependListener('request', (req, res) => tap.assign(req, res, runOf(req.url)));
  // A head too large to parse still gets an answer a person can act on.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return void socket.destroy();
    const [status, reason, detail] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', `The request head is over ${maxHeaderSize / 1024} KiB. Parameter "text" takes up to 20,000 characters.`]
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? // Node's headersTimeout / requestTimeout: the head or the body came too slowly (slowloris).
            [408, 'Request Timeout', 'The request did not arrive in time: its head or its body came too slowly.']
          : [400, 'Bad Request', 'The request is not valid HTTP/1.1.'];
    const body = JSON.stringify({ type: 'about:blank', title: reason, status, detail });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  server.on('upgrade', (req, socket, head) => {
    options.onUpgrade?.(req);
    const url = req.url ?? '';
    if (url === '/api/stream/ws' || url.startsWith('/api/stream/ws?')) {
      tap.assign(req, null, runOf(url));
      websocket.handleUpgrade(req, socket, head);
    } else if (options.upgrade?.(req, socket, head, { tap, limiter })) {
      // taken by a lab
    } else if (server.listenerCount('upgrade') === 1) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    }
  });

  return {
    server,
    app,
    tap,
    limiter,
    presenter,
    ...(upstream ? { upstream } : {}),
    setHttpsPort: (port) => {
      httpsPort = port;
    },
    close: () =>
      new Promise<void>((resolve) => {
        websocket.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
