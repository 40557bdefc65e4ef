/**
 * The wire tap over real sockets: what `/api/tap` reports must be exactly the bytes that crossed
 * the connection, attributed to the right run, framed the way Node really frames them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import { createParser } from 'eventsource-parser';
import { WebSocket } from 'ws';
import { listen, type Listening } from '../testing/listen.ts';
import { until } from '../testing/until.ts';
import { subscribeTap } from '../testing/tapReader.ts';
import { closed, connOf, decode, ofType, onConn, partsOf, readBytes, writeBytes } from '../testing/tapEvents.ts';
import { headerValues, parseChunks, parseHead } from '../testing/httpBytes.ts';
import { chunkedComplete, contentLengthComplete, exchangeBytes } from '../testing/rawHttp.ts';
import { httpGet } from '../testing/httpGet.ts';
import { parseFrames } from '../testing/wsFrames.ts';
import { expectedSse } from '../testing/expectedSse.ts';
import { replyFor, summarize } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';
import type { TapClose, TapDropped, TapEvent, TapOpen, TapRead, TapRequest, TapWrite } from '../../shared/tap.ts';

let server: Listening;
beforeEach(async () => {
  // No heartbeat comment may land in the middle of a stream whose bytes we compare exactly.
  server = await listen({ heartbeatMs: 60_000 });
});
afterEach(() => server.close());

describe('the wire tap on an SSE stream', () => {
  const prompt = 'emoji-glitches'; // multi-byte text, emoji split across BPE tokens, code with \n and \\
  const settings = { prompt, tps: 1000, ttft: 0 };
  const path = (run: string, which = prompt) => `/api/stream/sse?run=${run}&tps=1000&ttft=0&prompt=${which}`;
  const short = 'arabic-word-by-word'; // 68 tokens of two-byte characters

  it('reports exactly the bytes that crossed the connection, and announces it first', async () => {
    const tap = await subscribeTap(server.url, 'sse1');
    const request = `GET ${path('sse1', short)} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`;
    const { received, localPort } = await exchangeBytes(server.port, request, chunkedComplete);
    const conn = connOf(tap.events, '/api/stream/sse?');
    await until(closed(tap, conn), 'the close event');
    tap.stop();

    expect(tap.retry).toBe(1000);
    const [open] = tap.events;
    expect(open).toEqual<TapOpen>({ type: 'open', conn, run: 'sse1', t: open!.t, remoteAddress: '127.0.0.1', remotePort: localPort, localPort: server.port });
    expect(tap.events.filter(ofType('request'))).toEqual<TapRequest[]>([
      { type: 'request', conn, run: 'sse1', t: expect.any(Number) as number, method: 'GET', path: path('sse1', short) },
    ]);
    expect(tap.events.at(-1)).toEqual<TapClose>({ type: 'close', conn, run: 'sse1', t: expect.any(Number) as number });
    expect(tap.events.every((e) => e.type !== 'dropped' && e.conn === conn && e.run === 'sse1')).toBe(true);

    expect(readBytes(tap.events, conn).toString('latin1')).toBe(request);
    expect(writeBytes(tap.events, conn).equals(received)).toBe(true);
  });

  it('shows the SSE response head, the chunk framing and token events that reassemble the reply exactly', async () => {
    const tap = await subscribeTap(server.url, 'sse2');
    const { received } = await exchangeBytes(server.port, `GET ${path('sse2')} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`, chunkedComplete);
    const conn = connOf(tap.events, '/api/stream/sse?');
    await until(closed(tap, conn), 'the close event');
    tap.stop();

    const reads = readBytes(tap.events, conn);
    expect(reads.toString('latin1').startsWith('GET /api/stream/sse?')).toBe(true);

    const wire = writeBytes(tap.events, conn);
    expect(wire.equals(received)).toBe(true);
    expect(wire.toString('latin1').startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    const head = parseHead(wire);
    expect(head.startLine).toBe('HTTP/1.1 200 OK');
    expect(head.lines).toContain('Content-Type: text/event-stream');
    expect(head.lines).toContain('Transfer-Encoding: chunked');
    expect(head.lines).toContain('Cache-Control: no-cache');
    expect(head.lines).toContain('X-Accel-Buffering: no');
    for (const name of ['Content-Type', 'Transfer-Encoding', 'Cache-Control', 'X-Accel-Buffering']) expect(headerValues(head, name)).toHaveLength(1);
    expect(headerValues(head, 'Content-Length')).toEqual([]);

    expect(head.body.subarray(-5).toString('latin1')).toBe('0\r\n\r\n');
    const sse = Buffer.concat(parseChunks(head.body)).toString('utf8');
    expect(sse).toBe(expectedSse(settings));

    // Read as a client would: the token events reassemble the reply, byte for byte.
    const reply = replyFor(parseSettings(settings));
    const events: { event: string | undefined; id: string | undefined; data: string }[] = [];
    const parser = createParser({ onEvent: (e) => events.push({ event: e.event, id: e.id, data: e.data }) });
    parser.feed(sse);
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.map((e) => e.id)).toEqual(reply.tokens.map((_, i) => String(i)));
    expect(tokens.map((e) => (JSON.parse(e.data) as { text: string }).text).join('')).toBe(reply.text);
    expect(events.at(-1)).toEqual({ event: 'done', id: undefined, data: JSON.stringify(summarize(reply)) });
  });

  it('reports each write with the sizes of the buffers Node wrote together', async () => {
    const tap = await subscribeTap(server.url, 'sse3');
    await exchangeBytes(server.port, `GET ${path('sse3')} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`, chunkedComplete);
    const conn = connOf(tap.events, '/api/stream/sse?');
    await until(closed(tap, conn), 'the close event');
    tap.stop();

    const writes = onConn<TapWrite>(tap.events, 'write', conn);
    for (const write of writes) {
      expect(write.parts.reduce((a, b) => a + b, 0)).toBe(decode(write.data).length);
      expect(write.parts.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
    }

    // flushHeaders(): the head leaves alone, in one buffer, before the model "thinks".
    const [headWrite, ...bodyWrites] = writes;
    expect(headWrite!.parts).toEqual([decode(headWrite!.data).length]);
    expect(decode(headWrite!.data).subarray(-4).toString('latin1')).toBe('\r\n\r\n');

    // Every body write is whole chunks: [size line, CRLF, payload, CRLF], the size line being the
    // payload's length in hex — then, in the very last write, the last chunk `0\r\n\r\n`.
    const chunksPerWrite = bodyWrites.map((write, w) => {
      const parts = partsOf(write);
      let count = 0;
      while (parts.length > 0) {
        if (w === bodyWrites.length - 1 && parts.length === 1) {
          expect(parts[0]!.toString('latin1')).toBe('0\r\n\r\n');
          break;
        }
        const [size, crlf1, payload, crlf2] = parts.splice(0, 4);
        expect(size!.toString('latin1')).toBe(payload!.length.toString(16));
        expect(crlf1!.toString('latin1')).toBe('\r\n');
        expect(crlf2!.toString('latin1')).toBe('\r\n');
        count++;
      }
      return count;
    });
    // The retry hint and each token are one write of 4 parts each (Node corks the socket for the
    // rest of the tick and sends the chunk with one writev) ...
    const reply = replyFor(parseSettings({ prompt }));
    expect(bodyWrites).toHaveLength(1 + reply.tokens.length);
    expect(bodyWrites.slice(0, -1).every((w) => w.parts.length === 4)).toBe(true);
    expect(decode(bodyWrites[0]!.data).toString('latin1')).toBe('d\r\nretry: 1000\n\n\r\n');
    expect(bodyWrites[1]!.parts).toEqual([2, 2, Buffer.byteLength(`id: 0\nevent: token\ndata: ${JSON.stringify({ index: 0, text: reply.tokens[0] })}\n\n`), 2]);
    // ... except the last token, the done event and the last chunk: written in the same tick, they
    // leave together in one writev of 4 + 4 + 1 parts.
    expect(chunksPerWrite.at(-1)).toBe(2);
    expect(bodyWrites.at(-1)!.parts).toHaveLength(9);
    expect(bodyWrites.at(-1)!.parts.at(-1)).toBe(5);
  });

  it('same settings, same bytes: two runs differ only in the Date header', async () => {
    const tap = await subscribeTap(server.url);
    const request = (run: string) => `GET ${path(run, short)} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`;
    const first = await exchangeBytes(server.port, request('same'), chunkedComplete);
    const second = await exchangeBytes(server.port, request('same'), chunkedComplete);
    const withoutDate = (bytes: Buffer) => bytes.toString('latin1').replace(/\r\nDate: [^\r]*\r\n/, '\r\nDate: *\r\n');
    expect(withoutDate(second.received)).toBe(withoutDate(first.received));
    await until(() => tap.events.filter(ofType('close')).length === 2, 'both connections to close');
    tap.stop();
    const [a, b] = tap.events.filter(ofType('request')).map((e) => e.conn);
    expect(withoutDate(writeBytes(tap.events, b!))).toBe(withoutDate(writeBytes(tap.events, a!)));
  });

  // BUG (server/sse/sseHeaders.ts): the frozen SSE head hard-codes `Connection: keep-alive`.
  // Node treats a user-set Connection header as the final word (OutgoingMessage sets
  // shouldKeepAlive = true for any value but "close"), so a client that sent `Connection: close`
  // gets `Connection: keep-alive` back and the server holds the socket open until its
  // keep-alive timeout (5 s) instead of closing after the response (RFC 9112 §9.6: MUST close).
  // Fix: drop `Connection` from sseHeaders; Node writes `Connection: keep-alive` itself when the
  // request allows it. Remove `.fails` once fixed.
  it('honours Connection: close: answers "Connection: close" and closes after the last chunk', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    let ended = false;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => (ended = true));
    socket.write(`GET /api/stream/sse?tps=1000&ttft=0&prompt=what-is-sse HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`);
    try {
      await until(() => chunkedComplete(Buffer.concat(chunks)), 'the last chunk');
      expect(headerValues(parseHead(Buffer.concat(chunks)), 'Connection')).toEqual(['close']);
      await until(() => ended, 'the server to close the connection', 1000);
    } finally {
      socket.destroy();
    }
  });

  // BUG (server/wiretap/wireTap.ts, attach(): `socket.on('data', …)`): the http server registers its
  // own 'connection' listener (and with it the parser's 'data' listener) before app.ts calls
  // tap.attach, so the parser sees each chunk first: it parses the head, runs the route (which
  // writes the response head at once with flushHeaders), and only then does the tap's listener
  // record the read. The tap therefore reports the response head before the request that caused it,
  // with a later timestamp, and the `pending` path in #record is never used for a one-chunk head.
  // Fix: `socket.prependListener('data', …)` in attach(): the read is then held in `pending` until
  // assign() names its run, which delivers it before any write (checked by hand: the events come
  // as open, request, read, write; the other tap tests here still pass).
  // Remove `.fails` once fixed.
  it('reports the request bytes before the response bytes they caused', async () => {
    const tap = await subscribeTap(server.url, 'order');
    await exchangeBytes(server.port, `GET ${path('order', short)} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`, chunkedComplete);
    const conn = connOf(tap.events, '/api/stream/sse?');
    await until(closed(tap, conn), 'the close event');
    tap.stop();
    const firstRead = tap.events.findIndex((e) => e.type === 'read');
    const firstWrite = tap.events.findIndex((e) => e.type === 'write');
    expect(firstRead).toBeGreaterThan(-1);
    expect(firstRead).toBeLessThan(firstWrite);
    expect((tap.events[firstRead] as TapRead).t).toBeLessThanOrEqual((tap.events[firstWrite] as TapWrite).t);
  });
});

describe('the wire tap on the buffered endpoint', () => {
  it('shows one Content-Length equal to the body, and the body in a single write at the end', async () => {
    const tap = await subscribeTap(server.url, 'buf');
    const prompt = 'arabic-word-by-word';
    const path = `/api/stream/http?run=buf&tps=1000&ttft=0&prompt=${prompt}`;
    const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`;
    const { received } = await exchangeBytes(server.port, request, contentLengthComplete);
    const conn = connOf(tap.events, '/api/stream/http?');
    await until(closed(tap, conn), 'the close event');
    tap.stop();

    expect(readBytes(tap.events, conn).toString('latin1')).toBe(request);
    const wire = writeBytes(tap.events, conn);
    expect(wire.equals(received)).toBe(true);
    const head = parseHead(wire);
    expect(head.startLine).toBe('HTTP/1.1 200 OK');
    expect(headerValues(head, 'Content-Length')).toEqual([String(head.body.length)]);
    expect(headerValues(head, 'Transfer-Encoding')).toEqual([]);
    expect(head.lines).toContain('Content-Type: application/json; charset=utf-8');

    const reply = replyFor(parseSettings({ prompt }));
    const body = JSON.parse(head.body.toString('utf8')) as { text: string; tokens: string[] };
    expect(body.text).toBe(reply.text);
    expect(body.tokens).toEqual(reply.tokens);

    // Nothing leaves until the reply is generated; then head and body go in one writev
    // (Node adds an empty buffer from end(), hence the filter).
    const writes = onConn<TapWrite>(tap.events, 'write', conn);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.parts.filter((n) => n > 0)).toEqual([head.headBytes, head.body.length]);
    expect(tap.events.findIndex((e) => e.type === 'write')).toBeGreaterThan(tap.events.findIndex((e) => e.type === 'request'));
  });
});

describe('the wire tap on a WebSocket', () => {
  it('shows the handshake, the masked client frames and the unmasked server frames, byte for byte', async () => {
    const tap = await subscribeTap(server.url, 'ws1');
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/stream/ws?run=ws1`);
    await once(ws, 'open');
    const start = JSON.stringify({ type: 'start', prompt: 'what-is-sse', tps: 1000, ttft: 0 });
    const received: string[] = [];
    ws.on('message', (data) => received.push(String(data)));
    const closedAt = once(ws, 'close') as Promise<[number, Buffer]>;
    ws.send(start);
    const [code, reason] = await closedAt;
    expect([code, String(reason)]).toEqual([1000, 'done']);
    const conn = connOf(tap.events, '/api/stream/ws?');
    await until(closed(tap, conn), 'the close event');
    tap.stop();

    // Upstream: the handshake, then exactly two frames: the start message and the close reply.
    const reads = readBytes(tap.events, conn);
    const request = parseHead(reads);
    expect(request.startLine).toBe('GET /api/stream/ws?run=ws1 HTTP/1.1');
    const [key] = headerValues(request, 'Sec-WebSocket-Key');
    expect(key).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    const clientFrames = parseFrames(request.body);
    expect(clientFrames.map((f) => f.opcode)).toEqual([0x1, 0x8]);
    const [first, clientClose] = clientFrames;
    expect(request.body.readUInt8(0)).toBe(0x81); // FIN + text
    expect(request.body.readUInt8(1) & 0x80).toBe(0x80); // MASK
    expect(first!.masked).toBe(true);
    expect(first!.maskKey).toHaveLength(4);
    expect(first!.headerLength).toBe(2 + 4);
    expect(first!.payload.toString('utf8')).toBe(start);
    expect(clientClose!.masked).toBe(true);
    expect(clientClose!.payload.readUInt16BE(0)).toBe(1000);

    // Downstream: the 101, then one unmasked text frame per message, then close 1000.
    const writes = onConn<TapWrite>(tap.events, 'write', conn);
    const wire = writeBytes(tap.events, conn);
    expect(wire.toString('latin1').startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
    const response = parseHead(wire);
    expect(response.startLine).toBe('HTTP/1.1 101 Switching Protocols');
    expect(response.lines).toContain('Upgrade: websocket');
    expect(response.lines).toContain('Connection: Upgrade');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    expect(headerValues(response, 'Sec-WebSocket-Accept')).toEqual([accept]);
    expect(decode(writes[0]!.data).length).toBe(response.headBytes); // the 101 leaves alone

    const serverFrames = parseFrames(response.body);
    const messages = serverFrames.slice(0, -1);
    for (const frame of messages) {
      expect(frame).toMatchObject({ fin: true, rsv: 0, opcode: 0x1, masked: false, maskKey: null });
    }
    expect(messages.map((f) => f.payload.toString('utf8'))).toEqual(received);
    const reply = replyFor(parseSettings({ prompt: 'what-is-sse', tps: 1000, ttft: 0 }));
    const tokens = messages.slice(0, -1).map((f) => JSON.parse(f.payload.toString('utf8')) as { type: string; index: number; text: string });
    expect(tokens).toEqual(reply.tokens.map((text, index) => ({ type: 'token', index, text })));
    expect(tokens.map((t) => t.text).join('')).toBe(reply.text);
    expect(JSON.parse(messages.at(-1)!.payload.toString('utf8'))).toEqual({ type: 'done', ...summarize(reply) });
    const serverClose = serverFrames.at(-1)!;
    expect(serverClose).toMatchObject({ fin: true, opcode: 0x8, masked: false });
    expect(serverClose.payload.readUInt16BE(0)).toBe(1000);
    expect(serverClose.payload.subarray(2).toString('utf8')).toBe('done');

    // Each frame is one write of [frame header, payload]: 2 header bytes for a short message.
    const frameWrites = writes.slice(1);
    expect(frameWrites).toHaveLength(serverFrames.length);
    frameWrites.forEach((write, i) => {
      expect(write.parts).toEqual([serverFrames[i]!.headerLength, serverFrames[i]!.payload.length]);
      expect(write.parts[0]).toBe(2);
    });
  });
});

describe('the wire tap on a keep-alive connection', () => {
  it('gives each run only its own request and response, though they share one socket', async () => {
    const everything = await subscribeTap(server.url);
    const first = await subscribeTap(server.url, 'ka1');
    const second = await subscribeTap(server.url, 'ka2');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let conn: number;
    try {
      const one = await httpGet(`${server.url}/api/stream/sse?run=ka1&tps=1000&ttft=0&prompt=what-is-sse`, { agent });
      const two = await httpGet(`${server.url}/api/stream/http?run=ka2&tps=1000&ttft=0&prompt=arabic-word-by-word`, { agent });
      expect(one.res.statusCode).toBe(200);
      expect(two.res.statusCode).toBe(200);
      expect(two.reusedSocket).toBe(true);
      conn = connOf(first.events, '/api/stream/sse?');
      expect(connOf(second.events, '/api/stream/http?')).toBe(conn);
      agent.destroy();
      // The close goes to the run of the connection's last request.
      await until(closed(everything, conn), 'the close event');
      await until(closed(second, conn), 'the close event for the last run');
    } finally {
      agent.destroy();
      for (const tap of [everything, first, second]) tap.stop();
    }
    expect(everything.events.filter(ofType('request')).map((e) => e.conn)).toEqual([conn, conn]);

    for (const [tap, run, other, path] of [
      [first, 'ka1', 'ka2', '/api/stream/sse?'],
      [second, 'ka2', 'ka1', '/api/stream/http?'],
    ] as const) {
      expect(tap.events.filter(ofType('open')).map((e) => e.conn)).toEqual([conn]);
      expect(tap.events.filter(ofType('request')).map((e) => e.path.slice(0, path.length))).toEqual([path]);
      expect(tap.events.every((e) => e.type === 'dropped' || e.run === run)).toBe(true);
      const reads = readBytes(tap.events, conn).toString('latin1');
      expect(reads.startsWith(`GET ${path}run=${run}&`)).toBe(true);
      expect(reads.indexOf('\r\n\r\n')).toBe(reads.length - 4); // exactly one request head
      expect(reads).not.toContain(other);
      const writes = writeBytes(tap.events, conn).toString('latin1');
      expect(writes.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    }
    expect(writeBytes(first.events, conn).subarray(-5).toString('latin1')).toBe('0\r\n\r\n');
    const buffered = parseHead(writeBytes(second.events, conn));
    expect(headerValues(buffered, 'Content-Length')).toEqual([String(buffered.body.length)]);

    // Together the two runs are the whole connection, nothing lost or repeated between them.
    expect(readBytes(everything.events, conn).equals(Buffer.concat([readBytes(first.events, conn), readBytes(second.events, conn)]))).toBe(true);
    expect(writeBytes(everything.events, conn).equals(Buffer.concat([writeBytes(first.events, conn), writeBytes(second.events, conn)]))).toBe(true);
  });
});

describe('the tap itself', () => {
  it('is not tapped: a subscriber to every run sees no bytes of /api/tap requests', async () => {
    const everything = await subscribeTap(server.url);
    const another = await subscribeTap(server.url, 'own');
    const more = await subscribeTap(server.url);
    more.stop();
    const { res } = await httpGet(`${server.url}/api/stream/sse?run=own&tps=1000&ttft=0&text=hi`, { agent: false });
    expect(res.statusCode).toBe(200);
    // The response can end before the tap's request event reaches this subscriber.
    await until(() => everything.events.some((e) => e.type === 'request' && e.path.startsWith('/api/stream/sse?')), 'the request event');
    const conn = connOf(everything.events, '/api/stream/sse?');
    await until(closed(everything, conn), 'the close event');
    another.stop();
    everything.stop();

    // Every event either subscriber saw belongs to the one stream connection.
    for (const tap of [everything, another]) {
      expect(tap.events.length).toBeGreaterThan(0);
      expect(tap.events.every((e) => e.type !== 'dropped' && e.conn === conn)).toBe(true);
      expect(tap.events.filter(ofType('request')).map((e) => e.path)).toEqual(['/api/stream/sse?run=own&tps=1000&ttft=0&text=hi']);
      expect(readBytes(tap.events, conn).toString('latin1')).not.toContain('/api/tap');
    }
  });

  it('refuses a malformed run id with a problem naming "run"', async () => {
    const response = await fetch(`${server.url}/api/tap?run=${'x'.repeat(65)}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 400, param: 'run' });
  });

  it('drops events for a reader that falls behind, tells it how many once it catches up, and keeps its buffer bounded', async () => {
    const maxBufferedBytes = 1024 * 1024; // tapRoute's default, which createApp uses
    let tapResponse: ServerResponse | undefined;
    // Prepended: Express rewrites req.url while routing, and the tap response never finishes.
    const spy = (req: IncomingMessage, res: ServerResponse): void => {
      if (req.url?.startsWith('/api/tap?run=flood')) tapResponse = res;
    };
    server.server.prependListener('request', spy);
    const tap = await new Promise<IncomingMessage>((resolve, reject) =>
      http.get(`${server.url}/api/tap?run=flood`, { agent: false }, resolve).on('error', reject),
    );
    server.server.off('request', spy);
    expect(tap.statusCode).toBe(200);
    tap.pause(); // the slow reader: reads nothing until resumed
    expect(tapResponse).toBeDefined();

    // Requests with ~200 KB heads make big tap events (their bytes, in base64) fast.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const pad = 'a'.repeat(200_000);
    let requests = 0;
    let maxWritable = 0;
    const flood = async (): Promise<void> => {
      const { res } = await httpGet(`${server.url}/api/prompts?run=flood&pad=${pad}`, { agent });
      expect(res.statusCode).toBe(200);
      requests++;
      maxWritable = Math.max(maxWritable, tapResponse!.writableLength);
    };
    try {
      // Fill the socket buffers until the server holds more than the limit for this reader ...
      while (tapResponse!.writableLength <= maxBufferedBytes) {
        if (requests >= 200) throw new Error(`the tap response never buffered more than ${maxBufferedBytes} bytes`);
        await flood();
      }
      // ... then keep going: everything from here on must be dropped, not buffered.
      const extra = 10;
      for (let i = 0; i < extra; i++) await flood();
      expect(maxWritable).toBeGreaterThan(maxBufferedBytes);
      // At most one event over the limit (an event is at most one 64 KiB read, in base64).
      expect(maxWritable).toBeLessThan(maxBufferedBytes + 128 * 1024);

      const events: TapEvent[] = [];
      const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data) as TapEvent) });
      tap.setEncoding('utf8');
      tap.on('data', (text: string) => parser.feed(text));
      tap.resume();
      // Announced as soon as the reader catches up, before anything else happens.
      await until(() => events.some((e) => e.type === 'dropped'), 'the dropped announcement');

      await httpGet(`${server.url}/api/prompts?run=flood&after=1`, { agent });
      await until(() => events.some((e) => e.type === 'request' && e.path === '/api/prompts?run=flood&after=1'), 'the next request');
      const dropped = events.filter(ofType('dropped'));
      expect(dropped).toHaveLength(1);
      expect(dropped[0]).toEqual<TapDropped>({ type: 'dropped', t: expect.any(Number) as number, count: expect.any(Number) as number });
      // Each extra request made at least a request, four reads and a write event.
      expect(dropped[0]!.count).toBeGreaterThanOrEqual(extra * 6);
      // The announcement comes first, then the events flow again.
      const at = events.indexOf(dropped[0]!);
      expect(events[at + 1]).toMatchObject({ type: 'request', path: '/api/prompts?run=flood&after=1' });
    } finally {
      agent.destroy();
      tap.destroy();
    }
  });
});
