/**
 * Bounded memory: a reader that stops reading cannot make the server buffer without bound.
 *
 * - A tap reader that stops (a paused socket) while tens of MB of tap events pass: the server
 *   holds at most `maxBufferedBytes` (1 MiB) plus one event for it, drops the rest (and says how
 *   many once the reader is back), and its heap does not grow with the flood.
 * - A stream reader that stops (SSE, the OpenAI-style stream, a WebSocket): the transport stops
 *   producing tokens once the socket's buffer is full, so the server holds at most the socket's
 *   high-water mark (16 KiB; 64 KiB for a WebSocket) plus one message; when the reader comes
 *   back, the reply goes on and arrives whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net, { type Socket } from 'node:net';
import WebSocket from 'ws';
import { createParser } from 'eventsource-parser';
import { listen, type Listening } from '../testing/listen.ts';
import { dechunk } from '../testing/rawHttp.ts';
import { Presenter } from '../classroom/presenter.ts';
import { replyFor } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';
import type { TapEvent } from '../../shared/tap.ts';
import { heapAfterGc, mib } from './heap.ts';
import { until } from '../testing/until.ts';

const presenter = new Presenter('bounded-presenter');
const student = '127.0.0.2';
let server: Listening;
/** The server's end of each connection, by the client's port. */
const serverSockets = new Map<number, Socket>();

beforeAll(async () => {
  server = await listen({ classroom: true, presenter, maxStreamsPerClient: 10_000, heartbeatMs: 60_000 });
  server.server.on('connection', (socket: Socket) => serverSockets.set(socket.remotePort ?? 0, socket));
});
afterAll(() => server.close());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a tap reader that stops reading', { timeout: 60_000 }, () => {
  /** tapRoute's default limit, which createApp uses. */
  const maxBufferedBytes = 1024 * 1024;
  /** One tap event: a read of at most 64 KiB, in base64, in JSON. */
  const maxEvent = 128 * 1024;

  interface StuckReader {
    req: http.ClientRequest;
    res: http.IncomingMessage;
    /** The server's response to it, and the most it ever held. */
    server: http.ServerResponse;
    maxWritable: number;
  }

  /** Subscribes to the tap, then stops reading: the response stays paused. */
  async function stuckReader(headers: Record<string, string>): Promise<StuckReader> {
    let serverRes: http.ServerResponse | undefined;
    // Prepended: Express rewrites req.url while routing.
    const spy = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      if (req.url?.startsWith('/api/tap')) serverRes = res;
    };
    server.server.prependListener('request', spy);
    const { req, res } = await new Promise<{ req: http.ClientRequest; res: http.IncomingMessage }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: server.port, path: '/api/tap', localAddress: student, headers, agent: false }, (res) =>
        resolve({ req, res }),
      );
      req.on('error', reject);
    });
    server.server.off('request', spy);
    res.pause();
    const reader: StuckReader = { req, res, server: serverRes!, maxWritable: 0 };
    // Measured after every write the tap route makes to it.
    const write = reader.server.write.bind(reader.server) as (chunk: string) => boolean;
    reader.server.write = ((chunk: string) => {
      const ok = write(chunk);
      reader.maxWritable = Math.max(reader.maxWritable, reader.server.writableLength);
      return ok;
    }) as typeof reader.server.write;
    return reader;
  }

  it('holds at most 1 MiB and one event for it, whatever passes, and the heap does not grow with the flood', async () => {
    const readers = [await stuckReader({}), await stuckReader({ authorization: `Bearer ${presenter.token}` })];
    const heapBefore = heapAfterGc();

    // Requests with 200 KB heads make big tap events (their bytes, in base64) fast.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4, localAddress: student });
    const pad = 'a'.repeat(200_000);
    const requests = 200;
    let sent = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (sent < requests) {
          sent++;
          await new Promise<void>((resolve, reject) => {
            http
              .get({ host: '127.0.0.1', port: server.port, path: `/api/prompts?pad=${pad}`, agent }, (res) => res.resume().on('end', resolve))
              .on('error', reject);
          });
        }
      }),
    );
    agent.destroy();
    const flood = requests * pad.length;
    const heapAfter = heapAfterGc();

    for (const reader of readers) {
      // The reader really stopped: the server held more than the limit for it at some point ...
      expect(reader.maxWritable).toBeGreaterThan(maxBufferedBytes);
      // ... but never more than the limit and one event, while 40 MB of requests went by.
      expect(reader.maxWritable).toBeLessThanOrEqual(maxBufferedBytes + maxEvent);
    }
    expect(flood).toBeGreaterThan(20 * (maxBufferedBytes + maxEvent));
    // Both readers buffering the flood would be 2 × 4/3 × 40 MB; the bound is far below that.
    const grown = heapAfter - heapBefore;
    expect(grown, `heap grew by ${mib(grown)}`).toBeLessThan(16 * 1024 * 1024);

    // Back to reading: each is told how much it missed, then events flow again.
    for (const reader of readers) {
      const events: TapEvent[] = [];
      const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data) as TapEvent) });
      reader.res.setEncoding('utf8');
      reader.res.on('data', (text: string) => parser.feed(text));
      reader.res.resume();
      await until(() => events.some((e) => e.type === 'dropped'), 'the dropped announcement');
      const dropped = events.find((e) => e.type === 'dropped');
      expect(dropped && dropped.type === 'dropped' && dropped.count).toBeGreaterThan(requests);
      reader.req.destroy();
    }
  });
});

describe('a stream reader that stops reading', { timeout: 60_000 }, () => {
  /** `n` tokens (" word" each): enough to fill the socket's buffer past its high-water mark. */
  const words = (n: number): string => 'word '.repeat(n).trimEnd();
  /** ~60 bytes an SSE event, ~190 an OpenAI chunk: 600 tokens are well over 16 KiB on both. */
  const text = words(600);
  const expected = replyFor(parseSettings({ text })).text;

  /**
   * Stops the reader and fills the server's socket at once. The kernel's loopback buffers take
   * hundreds of KB before a paused reader pushes back (seconds of tokens); corking the server's
   * socket makes Node hold every write, as it does once the kernel's buffer is full.
   */
  function stall(client: Socket, serverSocket: Socket): () => void {
    client.pause();
    serverSocket.cork();
    return () => {
      serverSocket.uncork();
      client.resume();
    };
  }

  /**
   * Once the server holds `highWaterMark` for the stalled reader, waits as long as 200 tokens
   * would take and checks that not one more was buffered: the transport waits for `drain`.
   */
  async function expectStopped(held: () => number, highWaterMark: number, maxMessage: number): Promise<number> {
    await until(() => held() >= highWaterMark, `the server to hold ${highWaterMark} bytes`, 30_000);
    const atStop = held();
    await sleep(200);
    expect(held()).toBe(atStop);
    expect(atStop).toBeLessThanOrEqual(highWaterMark + maxMessage);
    return atStop;
  }

  /** Sends `request` on a raw socket; resolves once the answer's first bytes are in. `payload` resolves with the dechunked body at the end. */
  async function rawStream(request: string): Promise<{ client: Socket; payload: Promise<string> }> {
    const client = net.connect({ host: '127.0.0.1', port: server.port });
    const chunks: Buffer[] = [];
    const firstBytes = new Promise<void>((resolve) => client.once('data', () => resolve()));
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    const payload = new Promise<string>((resolve) =>
      client.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve(dechunk(all.subarray(all.indexOf('\r\n\r\n') + 4)).payload.toString('utf8'));
      }),
    );
    await new Promise((resolve) => client.once('connect', resolve));
    client.write(request);
    await firstBytes;
    return { client, payload };
  }

  /** The `data:` of every event of an SSE body. */
  function eventData(body: string): string[] {
    const data: string[] = [];
    const parser = createParser({ onEvent: (e) => data.push(e.data) });
    parser.feed(body);
    return data;
  }

  it('SSE: the stream waits at 16 KiB held, then goes on and arrives whole', async () => {
    const { client, payload } = await rawStream(
      `GET /api/stream/sse?text=${encodeURIComponent(text)}&tps=1000&ttft=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    const serverSocket = serverSockets.get(client.localPort!)!;
    const resume = stall(client, serverSocket);
    await expectStopped(() => serverSocket.writableLength, serverSocket.writableHighWaterMark, 1024);
    resume();
    const tokens = eventData(await payload).flatMap((d) => {
      const event = JSON.parse(d) as { text?: string; index?: number };
      return event.index === undefined ? [] : [event.text];
    });
    expect(tokens.join('')).toBe(expected);
  });

  it('the OpenAI-style stream: the same, chunk by chunk', async () => {
    const body = JSON.stringify({ model: 'echo', stream: true, tps: 1000, ttft: 0, messages: [{ role: 'user', content: text }] });
    const { client, payload } = await rawStream(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    const serverSocket = serverSockets.get(client.localPort!)!;
    const resume = stall(client, serverSocket);
    await expectStopped(() => serverSocket.writableLength, serverSocket.writableHighWaterMark, 1024);
    resume();
    const data = eventData(await payload);
    expect(data.at(-1)).toBe('[DONE]');
    const content = data.slice(0, -1).map((d) => (JSON.parse(d) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '');
    expect(content.join('')).toBe(expected);
  });

  it('WebSocket: the session waits at 64 KiB buffered, then goes on and arrives whole', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/stream/ws`);
    const texts: string[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; text?: string };
      if (message.type === 'token') texts.push(message.text!);
    });
    const closed = new Promise<number>((resolve) => ws.on('close', resolve));
    await new Promise((resolve) => ws.once('open', resolve));
    const client = (ws as unknown as { _socket: Socket })._socket;
    const serverSocket = serverSockets.get(client.localPort!)!;
    const resume = stall(client, serverSocket);
    // ~45 bytes a message: 1,800 tokens are well over 64 KiB.
    const long = words(1800);
    ws.send(JSON.stringify({ type: 'start', text: long, tps: 1000, ttft: 0 }));
    // The transport's own limit (websocket.ts): it waits for drain past 64 KiB buffered.
    await expectStopped(() => serverSocket.writableLength, 64 * 1024, 1024);
    resume();
    expect(await closed).toBe(1000);
    expect(texts.join('')).toBe(replyFor(parseSettings({ text: long })).text);
  });
});
