import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Problem } from '../problem.ts';
import { originAllowed } from '../origin.ts';
import { padFiller } from '../sse/eventStream.ts';
import { parseSettings } from '../model/settings.ts';
import { failsAt, failureDetail, replyFor, summarize } from '../model/reply.ts';
import type { GenerationEnd } from '../../shared/tap.ts';
import { instanceHeader } from '../../shared/instanceHeader.ts';
import { drained, generationReport, repliesFor, routeOf, type TransportContext } from './transport.ts';
import type { LogReader } from '../replies/replyLog.ts';

export interface WebSocketOptions {
  /**
   * Origins (e.g. `http://192.168.1.20:5173`) allowed besides the server's own. Browsers do not
   * apply CORS to WebSockets, so the server must refuse foreign pages itself.
   * @default []
   */
  allowedOrigins?: readonly string[];
  /** ms between pings; a peer that has not answered the previous one is cut. @default 30000 */
  pingMs?: number;
  /** Sent as `X-Streamscope-Instance` in the 101 response. */
  instance?: string;
  /** Decides which handshakes may go on, instead of the Origin check (the HTTP features lab's switch). */
  originAllowed?: (req: IncomingMessage) => boolean;
}

/** RFC 6455 close codes used here. https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1 */
export const closeCodes = {
  normal: 1000,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  /** The server met a condition that kept it from finishing (the model failed). */
  internalError: 1011,
} as const;

/** Largest message accepted: 20,000 characters JSON-escaped, with room to spare. */
const maxPayload = 256 * 1024;

/**
 * `/api/stream/ws`: the reply over a WebSocket on the same HTTP server. The client sends
 * `{"type":"start", …settings}`; the server answers `token` messages, `done`, then closes 1000.
 */
export function websocketTransport(
  ctx: TransportContext,
  { allowedOrigins = [], pingMs = 30_000, instance, originAllowed: allowed = (req) => originAllowed(req.headers, allowedOrigins) }: WebSocketOptions = {},
) {
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  if (instance) wss.on('headers', (headers) => headers.push(`${instanceHeader}: ${instance}`));
  const alive = new WeakMap<WebSocket, boolean>();

  // Peers that vanish without a FIN (a closed laptop lid) are found by ping/pong.
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, pingMs);
  pinger.unref();

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    session(ws, req, ctx);
  });

  return {
    /** Handles an HTTP upgrade for this path: checks Origin, then hands the socket to ws. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      if (!allowed(req)) {
        refuse(socket, 403, `WebSocket connections from origin ${req.headers.origin} are refused. Allow it with STREAMSCOPE_ALLOWED_ORIGINS.`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    close(): void {
      clearInterval(pinger);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

function session(ws: WebSocket, req: IncomingMessage, ctx: TransportContext): void {
  let release: (() => void) | undefined;
  let stop: (() => void) | undefined;
  /** Reports the generation once the connection closes (set when a reply starts). */
  let report: (() => void) | undefined;
  let stoppedBy: GenerationEnd | undefined;
  const fail = (code: number, detail: string): void => {
    send(ws, { type: 'error', code, detail });
    ws.close(code, closeReason(detail));
  };

  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    stop?.();
    release?.();
    report?.();
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return fail(closeCodes.unsupportedData, 'Binary messages are not supported; send JSON text.');
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return fail(closeCodes.invalidPayload, 'The message is not valid JSON.');
    }
    const fields = typeof message === 'object' && message !== null && !Array.isArray(message) ? (message as Record<string, unknown>) : undefined;
    if (fields?.type === 'stop' && stop) {
      stoppedBy = 'stopped';
      stop();
      return void ws.close(closeCodes.normal, 'stopped');
    }
    if (fields?.type !== 'start') return fail(closeCodes.policyViolation, 'Expected a message {"type":"start", …settings}.');
    if (stop) return fail(closeCodes.policyViolation, 'A reply is already streaming on this connection; send "start" once.');
    try {
      let reply = replyFor(parseSettings(fields, ['type']));
      release = ctx.limiter.acquire(req.socket.remoteAddress);
      let tokens: LogReader | undefined;
      stop = () => void tokens?.return();
      report = () => ctx.report?.(req.socket, generationReport(reply, 0, tokens?.position ?? 0, stoppedBy));
      void (async () => {
        // The 101 went out before the settings came: this reply's id travels in no header.
        const reading = await repliesFor(ctx, req).open('ws', reply, { route: routeOf(req), cause: { remoteAddress: req.socket.remoteAddress } });
        tokens = reading.reader;
        // The reply the log holds: an upstream model's fills in as it streams (and says how it failed).
        reply = reading.reply;
        if (ws.readyState !== ws.OPEN) return void tokens.return();
        for await (const token of tokens) {
          await sendAndDrain(ws, padMessage({ type: 'token', index: token.index, text: token.text }, reply.settings.pad));
        }
        if (ws.readyState !== ws.OPEN) return;
        if (failsAt(reply) !== null) {
          // The upgrade's 101 is long gone: the failure travels as a message, and the close code says it too.
          const detail = failureDetail(reply);
          send(ws, { type: 'error', code: closeCodes.internalError, detail });
          return void ws.close(closeCodes.internalError, closeReason(detail));
        }
        send(ws, { type: 'done', ...summarize(reply) });
        ws.close(closeCodes.normal, 'done');
      })().catch((error: unknown) => {
        if (ws.readyState !== ws.OPEN) return;
        // A model the upstream does not have: the settings were wrong, as a bad parameter is.
        if (error instanceof Problem) return fail(closeCodes.policyViolation, error.detail);
        // The reply log's store went away: say so, as a failed model would.
        const detail = error instanceof Error ? error.message : String(error);
        send(ws, { type: 'error', code: closeCodes.internalError, detail });
        ws.close(closeCodes.internalError, closeReason(detail));
      });
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      fail(closeCodes.policyViolation, error.detail);
    }
  });
}

/** A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5): cut on a character boundary. */
function closeReason(detail: string): string {
  let reason = '';
  let bytes = 0;
  for (const ch of detail) {
    bytes += Buffer.byteLength(ch);
    if (bytes > 123) break;
    reason += ch;
  }
  return reason;
}

function send(ws: WebSocket, message: object | string): void {
  if (ws.readyState === ws.OPEN) ws.send(typeof message === 'string' ? message : JSON.stringify(message));
}

/**
 * A token message padded (the `pad` setting) with a `pad` field of filler, as OpenAI pads its
 * chunks with `obfuscation`, so that the whole frame (its 2- or 4-byte header, unmasked from the
 * server, and the JSON) is a multiple of `pad` bytes. `pad` 0: the JSON as it is.
 * https://www.rfc-editor.org/rfc/rfc6455#section-5.2
 */
export function padMessage(message: object, pad: number): string {
  const json = JSON.stringify(message);
  if (pad === 0) return json;
  // `,"pad":""` adds 9 bytes before any filler; the filler is ASCII.
  const base = Buffer.byteLength(json) + 9;
  const header = (payload: number): number => (payload < 126 ? 2 : payload < 65_536 ? 4 : 10);
  let filler = 0;
  while ((base + filler + header(base + filler)) % pad !== 0) filler++;
  return `${json.slice(0, -1)},"pad":"${padFiller.slice(0, filler)}"}`;
}

/** Like send, but waits while the socket's buffer is over 64 KiB (backpressure). */
function sendAndDrain(ws: WebSocket, message: object | string): Promise<void> {
  send(ws, message);
  if (ws.bufferedAmount < 64 * 1024) return Promise.resolve();
  return drained((ws as unknown as { _socket: Duplex })._socket);
}

function refuse(socket: Duplex, status: number, detail: string): void {
  const body = JSON.stringify({ type: 'about:blank', title: 'Forbidden', status, detail });
  socket.end(
    `HTTP/1.1 ${status} Forbidden\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
