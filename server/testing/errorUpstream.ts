import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { listenLoopback } from './listenLoopback.ts';

/**
 * A hand-written upstream for the cases a real one shows only on a bad day, OpenAI-shaped
 * (`/v1/models`, `POST /v1/chat/completions`); the model names the case:
 * - `ok`: five deltas 20 ms apart, then `[DONE]`;
 * - `e401` (the key it was sent, echoed as OpenAI does), `gone` (404, model not found), `e429`, `e500`;
 * - `cut`: two deltas, then the connection is destroyed mid-stream;
 * - `html`: a 200 that is not an event stream;
 * - `slow`: one delta, then nothing (for a client that leaves).
 * Also plain event streams for the inspect route: `/crlf` (CRLF line ends, multi-line data,
 * comments, no ids), `/gzip` (the same, gzipped), `/redirect-here`, `/redirect-away`, `/big`;
 * `/paced` (`pacedEvents`, one write every `pacedGapMs`) and `/buffered` (the same events made at
 * the same pace, but held back and sent at the end in one write with a `Content-Length`, as a
 * buffering proxy does); `/slow-head?ms=N` (no byte for N ms, then a short stream); `/cut-sse`
 * (two events, then the connection is destroyed: no terminating chunk).
 */
export interface ErrorUpstream {
  url: string;
  /** Chat requests received, by model. */
  requests: string[];
  /** Requests whose connection has closed. */
  closedRequests: number;
  /** Headers of the last chat request. */
  lastHeaders: IncomingMessage['headers'] | undefined;
  close(): Promise<void>;
}

export const models = ['ok', 'e401', 'gone', 'e429', 'e500', 'cut', 'html', 'slow'];

/** The `/crlf` stream's bytes: what the inspect lane's dissector must take apart. */
export const crlfStream =
  ': a comment first\r\n\r\nevent: greeting\r\ndata: first line\r\ndata: second line\r\n\r\ndata: {"n":2}\r\n\r\n: bye\r\ndata: last\r\n\r\n';

export async function errorUpstream(): Promise<ErrorUpstream> {
  const state: ErrorUpstream = { url: '', requests: [], closedRequests: 0, lastHeaders: undefined, close: async () => {} };
  const server = createServer((req, res) => void handle(req, res, state));
  Object.assign(state, await listenLoopback(server));
  return state;
}

/** The events `/paced` streams and `/buffered` holds back. */
export const pacedEvents = Array.from({ length: 5 }, (_, i) => `data: event ${i + 1}\n\n`);
export const pacedGapMs = 60;

const chunk = (content: string): string => `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] })}\n\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sse = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' };

async function handle(req: IncomingMessage, res: ServerResponse, state: ErrorUpstream): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/v1/models')
    return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ object: 'list', data: models.map((id) => ({ id })) }));
  if (path === '/crlf') return void res.writeHead(200, sse).end(crlfStream);
  if (path === '/gzip') return void res.writeHead(200, { ...sse, 'Content-Encoding': 'gzip' }).end(gzipSync(crlfStream));
  if (path === '/redirect-here') return void res.writeHead(302, { Location: '/crlf' }).end();
  if (path === '/redirect-away') return void res.writeHead(302, { Location: 'http://localhost:9/elsewhere' }).end();
  if (path === '/big') {
    res.writeHead(200, sse);
    for (let i = 0; i < 200 && !res.destroyed; i++) {
      res.write(`data: ${'x'.repeat(1000)}\n\n`);
      await sleep(1);
    }
    return void res.end();
  }
  if (path === '/paced' || path === '/buffered') {
    const buffered = path === '/buffered';
    if (!buffered) res.writeHead(200, sse).flushHeaders();
    let held = '';
    for (const event of pacedEvents) {
      await sleep(pacedGapMs);
      if (res.destroyed) return;
      if (buffered) held += event;
      else res.write(event);
    }
    if (buffered) res.writeHead(200, { ...sse, 'Content-Length': Buffer.byteLength(held) });
    return void res.end(held);
  }
  if (path === '/slow-head') {
    await sleep(Number(new URL(req.url ?? '', 'http://x').searchParams.get('ms') ?? 0));
    if (res.destroyed) return;
    return void res.writeHead(200, sse).end('data: at last\n\n');
  }
  if (path === '/cut-sse') {
    res.writeHead(200, sse);
    res.write('data: one\n\n');
    res.write('data: two\n\n');
    await sleep(30);
    return void res.destroy();
  }
  if (path === '/echo-headers') return void res.writeHead(200, sse).end(`data: ${JSON.stringify(req.headers)}\n\n`);
  if (path !== '/v1/chat/completions' || req.method !== 'POST') return void res.writeHead(404).end();
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  const body = JSON.parse(Buffer.concat(chunks).toString()) as { model: string };
  state.requests.push(body.model);
  state.lastHeaders = req.headers;
  res.on('close', () => state.closedRequests++);
  const error = (status: number, message: string, type: string): void =>
    void res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message, type, param: null, code: null } }));
  switch (body.model) {
    case 'e401':
      return error(401, `Incorrect API key provided: ${String(req.headers.authorization ?? '').replace(/^Bearer /, '')}.`, 'invalid_request_error');
    case 'gone':
      return error(404, 'The model `gone` does not exist or you do not have access to it.', 'invalid_request_error');
    case 'e429':
      return error(429, 'Rate limit reached for requests. Please try again in 20s.', 'requests');
    case 'e500':
      return error(500, 'The server had an error while processing your request.', 'server_error');
    case 'html':
      return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Welcome to nginx!</body></html>');
    case 'cut':
      res.writeHead(200, sse);
      res.write(chunk('Hello'));
      res.write(chunk(' wor'));
      await sleep(30);
      return void res.destroy();
    case 'slow':
      res.writeHead(200, sse);
      res.write(chunk('Thinking'));
      return;
    default:
      res.writeHead(200, sse);
      for (const word of ['One', ' two', ' three', ' four', ' five.']) {
        if (res.destroyed) return;
        res.write(chunk(word));
        await sleep(20);
      }
      res.end('data: [DONE]\n\n');
  }
}
