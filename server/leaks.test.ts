/**
 * Clients that go away mid-stream must leave nothing behind: no stream counted in the limiter,
 * no pacing or heartbeat timer, no socket, no heap. The server runs in this process, so its
 * timers and sockets show up in `process.getActiveResourcesInfo()` next to ours, and its heap
 * is ours (measured after a forced full collection).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import http from 'node:http';
import net, { type Socket } from 'node:net';
import WebSocket from 'ws';
import { listen, type Listening } from './testing/listen.ts';
import { until } from './testing/until.ts';
import { heapAfterGc, mib } from './hardening/heap.ts';

let server: Listening;
/** The server's end of every open connection, with when it was accepted. */
const serverSockets = new Map<Socket, number>();
beforeAll(async () => {
  // Room for every stream at once: a stream the limiter never released must show up as a
  // count below, not as 429s that stop the test from opening more.
  server = await listen({ maxStreamsPerClient: 10_000 });
  server.server.on('connection', (socket: Socket) => {
    serverSockets.set(socket, performance.now());
    socket.once('close', () => serverSockets.delete(socket));
  });
});
afterAll(() => server.close());

/** Slow enough that no stream ends on its own while the test runs (the shortest reply has ~50 tokens). */
const slow = 'tps=20&ttft=0';
const prompts = ['what-is-sse', 'emoji-glitches', 'japanese-why-streaming', 'on-the-wire'];
const wsUrl = (): string => `${server.url.replace('http', 'ws')}/api/stream/ws`;

function resources(): { timers: number; sockets: number; all: number } {
  const all = process.getActiveResourcesInfo();
  return { timers: all.filter((r) => r === 'Timeout').length, sockets: all.filter((r) => r === 'TCPSocketWrap').length, all: all.length };
}

function connections(): Promise<number> {
  return new Promise((resolve, reject) => server.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
}

/**
 * Closes the test's own idle fetch connections. After an aborted fetch, undici re-queues the
 * aborted request, opens a replacement connection for it, then drops the request; that socket
 * never carries a byte and idles in fetch's global pool for 4 s (seen with Node 20's bundled
 * undici 6.24; the mechanism is https://github.com/nodejs/undici/issues/5845). fetch offers no agent to close, so close those
 * connections from the server's end: one that never received a byte cannot be a stream.
 */
function closeUnusedConnections(): void {
  // A client sends its request head right after connecting: give it 200 ms before calling the
  // connection unused, so a real request that is just starting is never cut.
  for (const [socket, accepted] of serverSockets) if (socket.bytesRead === 0 && performance.now() - accepted > 200) socket.destroy();
}

/** Nothing left: no stream counted, no connection, no timer, socket or other handle beyond the baseline. */
async function settled(baseline: ReturnType<typeof resources>): Promise<boolean> {
  closeUnusedConnections();
  const now = resources();
  return (
    server.limiter.open === 0 && (await connections()) === 0 && now.timers <= baseline.timers && now.sockets <= baseline.sockets && now.all <= baseline.all
  );
}

async function state(): Promise<object> {
  return { open: server.limiter.open, connections: await connections(), now: resources(), all: process.getActiveResourcesInfo() };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a fetch body until `enough` says so (or it ends), then aborts. */
async function fetchThenAbort(url: string, init: RequestInit, enough: (soFar: string) => boolean): Promise<void> {
  const abort = new AbortController();
  const res = await fetch(url, { ...init, signal: abort.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let soFar = '';
  try {
    while (!enough(soFar)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`stream ended before it was aborted: ${url}`);
      soFar += value;
    }
  } finally {
    abort.abort();
    await reader.cancel().catch(() => {});
  }
}

type Kind = (i: number) => Promise<void>;

const kinds: Record<string, Kind> = {
  /** EventSource-style reader that leaves after a few tokens. */
  sseAfterTokens: (i) =>
    fetchThenAbort(`${server.url}/api/stream/sse?prompt=${prompts[i % prompts.length]}&${slow}`, {}, (s) => s.split('event: token').length > 1 + (i % 4)),
  /** A sampled reply (a new draw each time), left after a few tokens, then resumed by its draw and left again. */
  sseSampled: async (i) => {
    const url = `${server.url}/api/stream/sse?prompt=${prompts[i % prompts.length]}&${slow}&temperature=1`;
    let last = '';
    await fetchThenAbort(url, {}, (s) => {
      last = [...s.matchAll(/^id: (\S+)$/gm)].at(-1)?.[1] ?? last;
      return s.split('event: token').length > 1 + (i % 3);
    });
    await fetchThenAbort(url, { headers: { 'Last-Event-ID': last } }, (s) => s.split('event: token').length > 1);
  },
  /** Leaves while the model is still "thinking": the head arrived, no token yet. */
  sseWhileThinking: (i) => fetchThenAbort(`${server.url}/api/stream/sse?text=hello&tps=20&ttft=5000`, {}, (s) => s.includes('retry:') && i >= 0),
  /** Buffered: nothing arrives until the end, so leave after a while. */
  buffered: async (i) => {
    const abort = new AbortController();
    const done = fetch(`${server.url}/api/stream/http?prompt=${prompts[i % prompts.length]}&${slow}`, { signal: abort.signal }).then(
      () => {
        throw new Error('buffered stream finished before it was aborted');
      },
      (error: unknown) => expect((error as Error).name).toBe('AbortError'),
    );
    await sleep(5 + (i % 30));
    abort.abort();
    await done;
  },
  openaiStream: (i) =>
    fetchThenAbort(
      `${server.url}/v1/chat/completions`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'streamscope', stream: true, messages: [{ role: 'user', content: `question ${i}` }], tps: 20, ttft: 0 }),
      },
      (s) => s.split('"content"').length > 2 + (i % 3),
    ),
  openaiBuffered: async (i) => {
    const abort = new AbortController();
    const body = JSON.stringify({
      model: 'echo',
      messages: [{ role: 'user', content: 'a few words to echo back, slowly '.repeat(3) }],
      tps: 20,
      ttft: i % 2 ? 0 : 2000,
    });
    const done = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: abort.signal,
    }).then(
      () => {
        throw new Error('unstreamed completion finished before it was aborted');
      },
      (error: unknown) => expect((error as Error).name).toBe('AbortError'),
    );
    await sleep(5 + (i % 30));
    abort.abort();
    await done;
  },
  /** A WebSocket client that vanishes without a close handshake, after 0–3 tokens. */
  websocketTerminate: (i) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(wsUrl());
      const after = i % 4;
      let tokens = 0;
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'start', prompt: prompts[i % prompts.length], tps: 20, ttft: 0 }));
        if (after === 0) ws.terminate();
      });
      ws.on('message', () => {
        if (++tokens === after) ws.terminate();
      });
      ws.on('error', reject);
      ws.on('close', () => resolve());
    }),
  /** A WebSocket client that closes politely mid-stream. */
  websocketClose: (i) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(wsUrl());
      ws.on('open', () => ws.send(JSON.stringify({ type: 'start', text: `polite ${i} `.repeat(20), tps: 20, ttft: 0 })));
      ws.once('message', () => ws.close(1001, 'going away'));
      ws.on('error', reject);
      ws.on('close', () => resolve());
    }),
  /** node:http without an agent; the socket is destroyed after the first bytes of the body. */
  httpDestroy: (i) =>
    new Promise<void>((resolve, reject) => {
      const path = i % 2 ? `/api/stream/sse?prompt=${prompts[i % prompts.length]}&${slow}` : `/api/stream/sse?text=wait&tps=20&ttft=5000`;
      const req = http.get(`${server.url}${path}`, { agent: false }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', () => res.socket.destroy());
        res.on('close', () => resolve());
      });
      req.on('error', reject);
    }),
  /** A raw POST sent whole, then the socket is destroyed at once: the client leaves while the body is parsed. */
  rawPostDestroy: (i) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ model: 'echo', stream: i % 2 === 0, messages: [{ role: 'user', content: 'gone before you answer' }], tps: 20, ttft: 0 });
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
        if (i % 3 === 0) socket.destroy();
        else if (i % 3 === 1) setImmediate(() => socket.destroy());
        else socket.end(); // half-close: the client sends FIN and waits
      });
      socket.on('error', reject);
      socket.on('data', () => socket.destroy());
      socket.on('close', () => resolve());
      // A half-closed client still gets its answer; give up waiting after a moment.
      setTimeout(() => socket.destroy(), 50).unref();
    }),
  /** A raw GET whose socket is destroyed right after the request head is sent. */
  rawGetDestroy: (i) =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(`GET /api/stream/${i % 2 ? 'sse' : 'http'}?prompt=what-is-sse&${slow} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        if (i % 2) socket.destroy();
        else setImmediate(() => socket.destroy());
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
    }),
};

/** Runs `jobs` with at most `limit` at once. */
async function pool(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Streams the server has opened (counted by its limiter) since the test began. */
let opened = 0;

/** Runs `perKind` jobs of every kind, 40 at a time, numbered from `first`. */
async function abandon(perKind: number, first = 0): Promise<number> {
  const names = Object.keys(kinds);
  const jobs = Array.from({ length: names.length * perKind }, (_, n) => () => kinds[names[n % names.length]!]!(first + Math.floor(n / names.length)));
  const before = opened;
  await pool(jobs, 40);
  // All kinds but the two raw ones open their stream for sure (the raw ones may hang up before the head is
  // parsed): the server really served them, so they were abandoned mid-way.
  expect(opened - before).toBeGreaterThanOrEqual(Math.floor(jobs.length * ((names.length - 2) / names.length)));
  return jobs.length;
}

it('thousands of streams and WebSocket sessions abandoned mid-way leave no stream, timer, socket or heap behind', { timeout: 120_000 }, async () => {
  const acquire = server.limiter.acquire.bind(server.limiter);
  server.limiter.acquire = (address) => {
    const release = acquire(address);
    opened++;
    return release;
  };

  // Warm up every client and code path (lazily created singletons such as fetch's timer wheel,
  // connection pools, compiled code), settle, then take the baseline.
  const before = resources();
  for (const kind of Object.values(kinds)) await kind(1);
  await abandon(10, 1000);
  await until(() => settled(before), state);
  const baseline = resources();
  const heapBaseline = heapAfterGc();

  // Two rounds of the same size: a leak per stream shows as growth in each.
  const perRound = 120;
  let jobs = 0;
  const heaps: number[] = [];
  for (let round = 0; round < 2; round++) {
    jobs += await abandon(perRound, round * perRound);
    await until(
      () => settled(baseline),
      async () => ({ round, baseline, ...(await state()) }),
    );
    heaps.push(heapAfterGc());
  }
  expect(jobs).toBe(2 * perRound * Object.keys(kinds).length);

  // The heap: within 8 MiB of the baseline after the first 1,200 streams (measured: +1.5 MiB,
  // code and caches warming up), and the second 1,200 add under 2 MiB more (measured: +0.2 MiB):
  // a leak of 2 KiB a stream would break it.
  const [first, second] = heaps as [number, number];
  expect(first - heapBaseline, `heap: baseline ${mib(heapBaseline)}, after round 1 ${mib(first)}`).toBeLessThan(8 * 1024 * 1024);
  expect(second - first, `heap: after round 1 ${mib(first)}, after round 2 ${mib(second)}`).toBeLessThan(2 * 1024 * 1024);

  // And the server still answers.
  const res = await fetch(`${server.url}/api/stream/http?text=ok&tps=1000&ttft=0`, { headers: { connection: 'close' } });
  expect(await res.json()).toMatchObject({ text: 'ok' });
});
