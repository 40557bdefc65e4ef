/**
 * The load generator's clients, one per transport, each recording when every token arrived.
 * They read the way an app would (an SSE parser, a WebSocket, a whole JSON body), so a server
 * that frames tokens badly costs the client what it would cost a browser.
 */
import http from 'node:http';
import http2 from 'node:http2';
import { createParser } from 'eventsource-parser';
import { WebSocket } from 'ws';
import type { Transport } from './messages.ts';

export interface StreamRecord {
  /**
   * The reply's time zero as near as the client can see the server's, ms: when the SSE
   * response head arrived (the server starts its schedule as it sends the head), when the
   * WebSocket `start` message went out, when the buffered request went out (its head comes
   * last). Connection setup is time to first token, not lateness, where the client can tell.
   */
  t0: number;
  /** When the client asked for the stream (opened the connection). */
  requested: number;
  /** performance.now() when each token arrived; NaN while it has not. */
  arrived: Float64Array;
  /** Distinct tokens received. */
  received: number;
  /** Why the stream failed; null while it has not. */
  error: string | null;
  /** Resolves once the stream has ended, well or not. */
  settled: Promise<void>;
  /** Ends the stream now; one still running counts as failed with `reason`. */
  abort(reason: string): void;
}

export interface Endpoint {
  port: number;
  /** The HTTPS port (the `h2sse` transport). */
  tlsPort?: number | undefined;
  /** The reply settings as a query string. */
  query: string;
  /** The WebSocket start message for the same reply. */
  start: string;
  tokens: number;
}

export function openStream(transport: Transport, endpoint: Endpoint): StreamRecord {
  return opener[transport](endpoint);
}

const opener: Record<Transport, (endpoint: Endpoint) => StreamRecord> = {
  sse({ port, query, tokens }) {
    const { record, arrive, settle } = newRecord(tokens);
    let done = false;
    const req = http.get({ host: '127.0.0.1', port, path: `/api/stream/sse?${query}`, agent: false, headers: { Accept: 'text/event-stream' } }, (res) => {
      record.t0 = performance.now();
      if (res.statusCode !== 200) return void (settle(`HTTP ${res.statusCode}`), res.destroy());
      const parser = createParser({
        onEvent(event) {
          if (event.event === 'token') arrive(Number(event.id));
          else if (event.event === 'done') done = true;
        },
      });
      res.setEncoding('utf8');
      res.on('data', (text: string) => parser.feed(text));
      res.on('close', () => settle(done ? null : 'closed before its done event'));
    });
    req.on('error', (error) => settle(error.message));
    record.abort = (reason) => {
      settle(reason);
      req.destroy();
    };
    return record;
  },

  ws({ port, query, start, tokens }) {
    const { record, arrive, settle } = newRecord(tokens);
    let done = false;
    const run = new URLSearchParams(query).get('run');
    // The run rides in the URL too: the tap files the connection under it at the handshake.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/stream/ws${run === null ? '' : `?run=${run}`}`, { perMessageDeflate: false });
    ws.on('open', () => {
      record.t0 = performance.now();
      ws.send(start);
    });
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; index?: number };
      if (message.type === 'token') arrive(message.index ?? -1);
      else if (message.type === 'done') done = true;
    });
    ws.on('close', (code) => settle(done && code === 1000 ? null : `closed with code ${code}${done ? '' : ' before its done message'}`));
    ws.on('error', (error) => settle(error.message));
    record.abort = (reason) => {
      settle(reason);
      ws.terminate();
    };
    return record;
  },

  h2sse({ tlsPort, query, tokens }) {
    const { record, arrive, settle } = newRecord(tokens);
    if (tlsPort === undefined) {
      settle('no HTTPS port to stream HTTP/2 from');
      return record;
    }
    let done = false;
    const session = h2Session(tlsPort);
    const req = session.session.request({ ':path': `/api/stream/sse?${query}`, accept: 'text/event-stream' });
    req.on('response', (headers) => {
      record.t0 = performance.now();
      if (headers[':status'] !== 200) return void (settle(`HTTP ${headers[':status']}`), req.close());
    });
    const parser = createParser({
      onEvent(event) {
        if (event.event === 'token') arrive(Number(event.id));
        else if (event.event === 'done') done = true;
      },
    });
    req.setEncoding('utf8');
    req.on('data', (text: string) => parser.feed(text));
    req.on('error', (error) => settle(error.message));
    req.on('close', () => {
      session.streams--;
      settle(done ? null : `closed before its done event (RST_STREAM ${req.rstCode})`);
    });
    record.abort = (reason) => {
      settle(reason);
      req.close(http2.constants.NGHTTP2_CANCEL);
    };
    return record;
  },

  http({ port, query, tokens }) {
    const { record, settle } = newRecord(tokens);
    const req = http.get({ host: '127.0.0.1', port, path: `/api/stream/http?${query}`, agent: false }, (res) => {
      if (res.statusCode !== 200) return void (settle(`HTTP ${res.statusCode}`), res.destroy());
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        // One body holds every token: it arrives, as a whole, when the last token is due.
        record.arrived[tokens - 1] = performance.now();
        record.received = (JSON.parse(Buffer.concat(chunks).toString()) as { tokens: string[] }).tokens.length;
        settle(null);
      });
      res.on('close', () => settle('closed before the body was complete'));
    });
    req.on('error', (error) => settle(error.message));
    record.abort = (reason) => {
      settle(reason);
      req.destroy();
    };
    return record;
  },
};

/**
 * The HTTP/2 connections of the `h2sse` transport: a stream goes on the newest connection until
 * it carries `streamsPerSession` (the server's SETTINGS_MAX_CONCURRENT_STREAMS, as a browser
 * would), then a new connection opens. The bench's certificate is made per run: not checked.
 */
const streamsPerSession = 100;
const sessions: { session: http2.ClientHttp2Session; streams: number }[] = [];

function h2Session(port: number): { session: http2.ClientHttp2Session; streams: number } {
  let current = sessions.at(-1);
  if (!current || current.streams >= streamsPerSession || current.session.destroyed) {
    const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    session.on('error', () => {});
    current = { session, streams: 0 };
    sessions.push(current);
  }
  current.streams++;
  return current;
}

/** Closes the clients' shared connections (HTTP/2), once every stream has settled. */
export function closeClients(): void {
  for (const { session } of sessions.splice(0)) session.close();
}

function newRecord(tokens: number) {
  let resolve!: () => void;
  const requested = performance.now();
  const record: StreamRecord = {
    t0: requested,
    requested,
    arrived: new Float64Array(tokens).fill(Number.NaN),
    received: 0,
    error: null,
    settled: new Promise<void>((r) => (resolve = r)),
    abort: () => {},
  };
  let over = false;
  /** Ends the record once: `error` null for a stream that finished well. */
  const settle = (error: string | null): void => {
    if (over) return;
    over = true;
    record.error = error;
    resolve();
  };
  const arrive = (index: number): void => {
    if (over) return;
    if (!(index >= 0 && index < tokens)) return settle(`token index ${index} is out of range`);
    if (!Number.isNaN(record.arrived[index]!)) return settle(`token ${index} arrived twice`);
    record.arrived[index] = performance.now();
    record.received++;
  };
  return { record, arrive, settle };
}
