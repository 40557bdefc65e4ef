/**
 * The server over real sockets with its replies logged in Redis (`createApp({ replyLog })`): the
 * same bytes as with the log in memory; two instances on one Redis, where a stream cut on one is
 * resumed on the other from the log; Redis going away mid-stream (a clear SSE error, the server
 * keeps serving) and coming back; nothing left open when clients vanish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { Redis } from 'ioredis';
import { redisAdmin } from '../testing/redisAdmin.ts';
import WebSocket from 'ws';
import { createParser } from 'eventsource-parser';
import { redisMissing, startRedisServer, type RedisServer } from '../redis/redisServer.ts';
import { RedisReplyLog, redisKeyPrefix } from './redisReplyLog.ts';
import { listen, type Listening } from '../testing/listen.ts';
import { dechunk, rawGet } from '../testing/rawHttp.ts';
import { until } from '../testing/until.ts';
import { replyFor } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';
import { replyHeader } from '../../shared/replyHeader.ts';

const missing = redisMissing();
if (missing) console.warn(`Skipping the server-over-Redis tests: ${missing}`);

const quiet = { log: () => {} };
const query = (settings: Record<string, string>): string => new URLSearchParams(settings).toString();

interface Token {
  index: number;
  text: string;
}

interface Segment {
  tokens: Token[];
  done: boolean;
  errors: { tokens: number; detail: string }[];
  status: number;
  id: string | null;
  /** The last event id seen (`<index>`, or `<draw>:<index>` for a sampled reply). */
  lastEventId: string | null;
  seam: boolean;
}

/**
 * One SSE request over node:http: collects its token, done and error events until the stream
 * ends, or until `cutAfter` tokens arrived (then the client destroys the connection).
 */
function readSse(
  url: string,
  { lastEventId, cutAfter, onToken }: { lastEventId?: number | string; cutAfter?: number; onToken?: (t: Token) => void } = {},
): Promise<Segment> {
  return new Promise((resolve, reject) => {
    const segment: Segment = { tokens: [], done: false, errors: [], status: 0, id: null, lastEventId: null, seam: false };
    const headers: Record<string, string> = lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) };
    const req = http.get(url, { headers, agent: false }, (res) => {
      segment.status = res.statusCode ?? 0;
      segment.id = (res.headers[replyHeader.toLowerCase()] as string | undefined) ?? null;
      const parser = createParser({
        onComment: (comment) => {
          if (comment.startsWith(' seam:')) segment.seam = true;
        },
        onEvent: (event) => {
          if (event.id) segment.lastEventId = event.id;
          if (event.event === 'token') {
            const token = JSON.parse(event.data) as Token;
            segment.tokens.push(token);
            onToken?.(token);
            if (segment.tokens.length === cutAfter) req.destroy();
          }
          if (event.event === 'done') segment.done = true;
          if (event.event === 'error') segment.errors.push(JSON.parse(event.data) as { tokens: number; detail: string });
        },
      });
      res.setEncoding('utf8');
      res.on('data', (text: string) => parser.feed(text));
      res.on('error', () => {});
      res.on('close', () => resolve(segment));
    });
    req.on('error', (error) => (segment.status ? resolve(segment) : reject(error)));
  });
}

function resources(): { timers: number; sockets: number } {
  const all = process.getActiveResourcesInfo();
  return { timers: all.filter((r) => r === 'Timeout').length, sockets: all.filter((r) => r === 'TCPSocketWrap').length };
}

describe.skipIf(missing !== null)('the server with its reply log in Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  /** Two instances on one Redis: two "processes" behind a load balancer. */
  let logA: RedisReplyLog;
  let logB: RedisReplyLog;
  let a: Listening;
  let b: Listening;
  let memory: Listening;

  /** Connections Redis has now, besides the test's own. */
  const clients = async (): Promise<number> =>
    String(await admin.call('CLIENT', 'LIST'))
      .trim()
      .split('\n').length - 1;

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = await redisAdmin(redis.url);
    [logA, logB] = await Promise.all([RedisReplyLog.connect(redis.url, quiet), RedisReplyLog.connect(redis.url, quiet)]);
    [a, b, memory] = await Promise.all([
      listen({ replyLog: logA, instance: 'a', maxStreamsPerClient: 10_000 }),
      listen({ replyLog: logB, instance: 'b', maxStreamsPerClient: 10_000 }),
      listen(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), memory?.close()]);
    await Promise.all([logA?.close(), logB?.close()]);
    admin?.disconnect();
    await redis?.stop();
  });

  it.each([
    ['a scripted reply', { prompt: 'emoji-glitches', tps: '1000', ttft: '0', jitter: '0' }],
    ['a failing reply', { prompt: 'on-the-wire', tps: '1000', ttft: '0', jitter: '0', fail: '7' }],
    ['a reply that fails before its first token', { prompt: 'on-the-wire', tps: '1000', ttft: '0', fail: '0' }],
    ['a sampled reply with a seed', { prompt: 'what-is-sse', tps: '1000', ttft: '0', temperature: '1', seed: '7' }],
  ])('SSE of %s: the same bytes as with the log in memory', async (_name, settings) => {
    const url = (server: Listening): string => `${server.url}/api/stream/sse?${query({ ...settings, run: 'same-bytes' })}`;
    const [inMemory, inRedis] = await Promise.all([rawGet(url(memory)), rawGet(url(a))]);
    expect(inRedis.status).toBe(200);
    expect(inRedis.headers[replyHeader.toLowerCase()]).toBe(inMemory.headers[replyHeader.toLowerCase()]);
    const body = (r: typeof inRedis): string => dechunk(r.body).payload.toString();
    expect(body(inRedis)).toBe(body(inMemory));
    expect(body(inRedis)).toMatch(/event: (done|error)/);
  });

  it('a stream cut on A is resumed on B from the log: nothing lost, nothing repeated, and B generates nothing', async () => {
    const settings = { prompt: 'japanese-why-streaming', tps: '100', ttft: '0', jitter: '0', run: 'a-to-b' };
    const expected = replyFor(parseSettings(settings)).tokens;
    const appendedByB = logB.stats.appended;
    const first = await readSse(`${a.url}/api/stream/sse?${query(settings)}`, { cutAfter: 5 });
    expect(first.tokens).toHaveLength(5);
    const second = await readSse(`${b.url}/api/stream/sse?${query(settings)}`, { lastEventId: first.tokens.at(-1)!.index });
    expect(second.id).toBe(first.id);
    expect(second.done).toBe(true);
    const all = [...first.tokens, ...second.tokens];
    expect(all.map((t) => t.index)).toEqual(expected.map((_, i) => i));
    expect(all.map((t) => t.text).join('')).toBe(expected.join(''));
    // A generated every token (its readers left at the cut; a shared log's generation runs on); B none.
    expect(logB.stats.appended).toBe(appendedByB);
    // B answers for the log A wrote.
    const log = (await (await fetch(`${b.url}/api/replies/${first.id}`)).json()) as { state: string; tokens: Token[] };
    expect(log.state).toBe('done');
    expect(log.tokens.map((t) => t.text)).toEqual(expected);
  });

  it('B resumes while A is still generating: B follows the log live', async () => {
    const settings = {
      text: 'a few words to say, one at a time, slowly enough to resume while they come',
      tps: '40',
      ttft: '0',
      jitter: '0',
      run: 'live-on-b',
    };
    const expected = replyFor(parseSettings(settings)).tokens;
    const appendedByB = logB.stats.appended;
    const first = await readSse(`${a.url}/api/stream/sse?${query(settings)}`, { cutAfter: 3 });
    const second = await readSse(`${b.url}/api/stream/sse?${query(settings)}`, { lastEventId: 2, cutAfter: 4 });
    // Still generating on A when B's reader left.
    const held = await logB.get(first.id!);
    expect(held?.state).toBe('generating');
    expect(held!.end).toBeLessThan(expected.length);
    const third = await readSse(`${a.url}/api/stream/sse?${query(settings)}`, { lastEventId: second.tokens.at(-1)!.index });
    const all = [...first.tokens, ...second.tokens, ...third.tokens];
    expect(all.map((t) => t.index)).toEqual(expected.map((_, i) => i));
    expect(all.map((t) => t.text)).toEqual(expected);
    expect(logB.stats.appended).toBe(appendedByB);
  });

  it('GET /api/replies/:id on B for a reply A generated; an unknown id is a 404 problem+json', async () => {
    const settings = { text: 'one two three', tps: '1000', ttft: '0', run: 'lookup' };
    const response = await fetch(`${a.url}/api/stream/http?${query(settings)}`);
    await response.text();
    const id = response.headers.get(replyHeader)!;
    await until(async () => ((await (await fetch(`${b.url}/api/replies/${id}`)).json()) as { done?: boolean }).done === true, 'B to see the log done');
    const unknown = await fetch(`${b.url}/api/replies/http-nothing-like-it`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await unknown.json()) as { detail: string }).detail).toMatch(/No reply "http-nothing-like-it"/);
  });

  it('a Last-Event-ID past the end is a 400; one naming a draw of a reply that does not sample is a 400', async () => {
    const base = `${b.url}/api/stream/sse?${query({ text: 'one two three', tps: '1000', ttft: '0' })}`;
    expect((await fetch(base, { headers: { 'Last-Event-ID': '99' } })).status).toBe(400);
    expect((await fetch(base, { headers: { 'Last-Event-ID': 'z:1' } })).status).toBe(400);
  });

  it('a sampled reply (no seed) resumed on B continues the same draw from the log: no seam', async () => {
    const settings = { prompt: 'what-is-sse', tps: '100', ttft: '0', temperature: '1', run: 'draw-on-b' };
    const first = await readSse(`${a.url}/api/stream/sse?${query(settings)}`, { cutAfter: 3 });
    const [draw, index] = first.lastEventId!.split(':') as [string, string];
    expect(index).toBe('2');
    const second = await readSse(`${b.url}/api/stream/sse?${query(settings)}`, { lastEventId: first.lastEventId! });
    expect(second.seam).toBe(false);
    expect(second.done).toBe(true);
    const expected = replyFor(parseSettings(settings), parseInt(draw, 36)).tokens;
    expect([...first.tokens, ...second.tokens].map((t) => t.text)).toEqual(expected);
  });

  it('SSE, buffered, OpenAI and WebSocket streams abandoned mid-way leave no tail, Redis connection, timer or stream behind', { timeout: 30_000 }, async () => {
    const settle = async (): Promise<void> => {
      await until(
        () => a.limiter.open === 0 && b.limiter.open === 0 && logA.stats.tails === 0 && logB.stats.tails === 0,
        () => ({ a: logA.stats, b: logB.stats, open: [a.limiter.open, b.limiter.open] }),
      );
      // A shared log's generations run on to their end: wait for them (a few hundred ms at this pace).
      await until(async () => {
        const metas = (await admin.keys(`${redisKeyPrefix}*`)).filter((key) => !/:\d+$/.test(key));
        const states = await Promise.all(metas.map((key) => admin.hget(key, 'state')));
        return states.every((state) => state !== 'generating');
      }, 'every generation to end');
      // And no XREAD is blocked.
      await until(async () => !/flags=\S*b/.test(String(await admin.call('CLIENT', 'LIST'))), 'no blocked client');
    };
    const abandon = async (round: number): Promise<void> => {
      const jobs = Array.from({ length: 48 }, (_, i) => {
        const server = i % 2 ? a : b;
        const settings = {
          prompt: ['what-is-sse', 'emoji-glitches', 'on-the-wire'][i % 3]!,
          tps: '200',
          ttft: String(i % 5 === 0 ? 300 : 0),
          run: `gone-${round}-${i}`,
        };
        const kind = i % 4;
        // SSE cut after a few tokens; a buffered response abandoned while it generates; an OpenAI
        // stream aborted after its first chunk; a WebSocket client that vanishes without a close.
        if (kind === 0) return readSse(`${server.url}/api/stream/sse?${query(settings)}`, { cutAfter: 1 + (i % 3) });
        if (kind === 1) {
          return fetch(`${server.url}/api/stream/http?${query(settings)}`, { signal: AbortSignal.timeout(100) }).then(
            () => Promise.reject(new Error('the buffered response finished before it was abandoned')),
            () => {},
          );
        }
        if (kind === 2) {
          return (async () => {
            const abort = new AbortController();
            const res = await fetch(`${server.url}/v1/chat/completions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ model: 'streamscope', stream: true, messages: [{ role: 'user', content: `gone ${round} ${i}` }], tps: 200, ttft: 0 }),
              signal: abort.signal,
            });
            const reader = res.body!.getReader();
            await reader.read();
            abort.abort();
            await reader.cancel().catch(() => {});
          })();
        }
        return new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/stream/ws`);
          ws.on('open', () => ws.send(JSON.stringify({ type: 'start', ...settings, tps: 200, ttft: 0 })));
          ws.once('message', () => ws.terminate());
          ws.on('error', reject);
          ws.on('close', () => resolve());
        });
      });
      await Promise.all(jobs);
    };
    /** Sockets besides the logs' connections to Redis (and the test's own). */
    const otherSockets = (): number => resources().sockets - logA.stats.connections - logB.stats.connections;
    await abandon(0);
    await settle();
    const baseline = { ...resources(), other: otherSockets() };
    await abandon(1);
    await settle();
    // Every generation has ended (shared logs run to their end): no pacing timer is left either,
    // and each log keeps its command connection and at most its one blocking connection, idle.
    await until(
      async () => {
        const now = resources();
        const busy = (log: RedisReplyLog): number => log.stats.connections - 1 - log.stats.idleConnections;
        return (
          busy(logA) === 0 &&
          busy(logB) === 0 &&
          logA.stats.idleConnections <= 1 &&
          logB.stats.idleConnections <= 1 &&
          (await clients()) === logA.stats.connections + logB.stats.connections &&
          now.timers <= baseline.timers &&
          otherSockets() <= baseline.other
        );
      },
      async () => ({ baseline, clients: await clients(), now: resources(), a: logA.stats, b: logB.stats, all: process.getActiveResourcesInfo() }),
      15_000,
    );
  });
});

describe.skipIf(missing !== null)('Redis going away mid-stream, and coming back', () => {
  let redis: RedisServer;
  let log: RedisReplyLog;
  let server: Listening;
  const lines: string[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    log = await RedisReplyLog.connect(redis.url, { log: (line) => lines.push(line), reconnectMs: 200 });
    server = await listen({ replyLog: log });
  });
  afterAll(async () => {
    await server?.close();
    await log?.close();
    await redis?.stop();
  });

  it('the stream ends with an SSE error naming Redis, the server keeps serving, and streams work again once Redis is back', { timeout: 30_000 }, async () => {
    const settings = { prompt: 'japanese-why-streaming', tps: '50', ttft: '0', jitter: '0', run: 'restart' };
    const expected = replyFor(parseSettings(settings)).tokens;
    let stopping: Promise<void> | undefined;
    const cut = await readSse(`${server.url}/api/stream/sse?${query(settings)}`, {
      onToken: (token) => {
        if (token.index === 4) stopping = redis.stop();
      },
    });
    await stopping;
    expect(cut.done).toBe(false);
    expect(cut.tokens.length).toBeGreaterThanOrEqual(5);
    expect(cut.tokens.length).toBeLessThan(expected.length);
    expect(cut.errors).toHaveLength(1);
    expect(cut.errors[0]!.detail).toMatch(new RegExp(`Redis at redis://127\\.0\\.0\\.1:${redis.port}`));
    expect(cut.errors[0]!.tokens).toBe(cut.tokens.length);

    // The process did not crash: what needs no log answers, and what does says why it cannot.
    expect((await fetch(`${server.url}/api/prompts`)).status).toBe(200);
    const refused = await fetch(`${server.url}/api/stream/sse?${query({ ...settings, run: 'while-down' })}`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ is not answering/);
    const lookup = await fetch(`${server.url}/api/replies/sse-anything`);
    expect(lookup.status).toBe(503);
    const buffered = await fetch(`${server.url}/api/stream/http?${query({ ...settings, run: 'while-down' })}`);
    expect(buffered.status).toBe(503);
    expect(lines.some((line) => /went away/.test(line))).toBe(true);

    // Back on the same port (empty: nothing was saved); the log reconnects on its own.
    await redis.restart();
    await until(
      () => lines.some((line) => /is back/.test(line)),
      () => lines,
    );
    // The resume finds no log (Redis lost it) and generates from the offset: nothing lost.
    const resumed = await readSse(`${server.url}/api/stream/sse?${query(settings)}`, { lastEventId: cut.tokens.at(-1)!.index });
    expect(resumed.status).toBe(200);
    expect(resumed.done).toBe(true);
    const all = [...cut.tokens, ...resumed.tokens];
    expect(all.map((t) => t.index)).toEqual(expected.map((_, i) => i));
    expect(all.map((t) => t.text)).toEqual(expected);
    const fresh = await readSse(`${server.url}/api/stream/sse?${query({ ...settings, tps: '1000', run: 'after' })}`);
    expect(fresh.tokens.map((t) => t.text)).toEqual(expected);
    expect(fresh.done).toBe(true);
    await until(
      () => log.stats.tails === 0 && server.limiter.open === 0,
      () => log.stats,
    );
  });
});

describe.skipIf(missing !== null)('an instance that goes away mid-generation', () => {
  let redis: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedisServer();
    admin = await redisAdmin(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  /**
   * Streams on `first` (cut after 3 tokens), follows on `second` from there, and `goAway()`s the
   * first instance's log while the second follows: the follower gets an SSE error that says to
   * resume, and the resume on the second instance continues the reply there.
   */
  async function handOver(goAway: (first: RedisReplyLog) => Promise<void>, secondOptions: { blockMs?: number; staleMs?: number } = {}): Promise<void> {
    const [first, second] = await Promise.all([
      RedisReplyLog.connect(redis.url, { ...quiet, name: 'first' }),
      RedisReplyLog.connect(redis.url, { ...quiet, ...secondOptions }),
    ]);
    const [c, d] = await Promise.all([listen({ replyLog: first }), listen({ replyLog: second })]);
    try {
      const text = 'one instance starts this reply, another one finishes it, and the reader never notices the hand-over between them at all';
      const settings = { text, tps: '50', ttft: '0', jitter: '0', run: `hand-over-${secondOptions.staleMs ?? 0}` };
      const expected = replyFor(parseSettings(settings)).tokens;
      const url = (server: Listening): string => `${server.url}/api/stream/sse?${query(settings)}`;
      const start = await readSse(url(c), { cutAfter: 3 });
      let away: Promise<void> | undefined;
      const followed = await readSse(url(d), {
        lastEventId: 2,
        onToken: (token) => {
          if (token.index === 5) away = goAway(first);
        },
      });
      await away;
      expect(followed.done).toBe(false);
      expect(followed.errors).toHaveLength(1);
      expect(followed.errors[0]!.detail).toMatch(/stopped at token \d+ on Redis at .*Resume \(Last-Event-ID\) to continue/);
      const appended = second.stats.appended;
      const rest = await readSse(url(d), { lastEventId: followed.tokens.at(-1)!.index });
      expect(rest.done).toBe(true);
      const all = [...start.tokens, ...followed.tokens, ...rest.tokens];
      expect(all.map((t) => t.index)).toEqual(expected.map((_, i) => i));
      expect(all.map((t) => t.text)).toEqual(expected);
      // The second instance generated the rest itself.
      expect(second.stats.appended - appended).toBe(rest.tokens.length);
      // And the first instance's server is still up.
      expect((await fetch(`${c.url}/api/prompts`)).status).toBe(200);
    } finally {
      await Promise.all([c.close(), d.close()]);
      await Promise.all([first.close(), second.close()]);
    }
  }

  it('closed (a shutdown): its logs say stopped at once, and the other instance continues them', { timeout: 20_000 }, async () => {
    await handOver((first) => first.close());
  });

  it(
    'cut off from Redis (its connections killed): a follower elsewhere finds the log orphaned after staleMs, and continues it',
    { timeout: 20_000 },
    async () => {
      await handOver(
        async () => {
          const list = String(await admin.call('CLIENT', 'LIST'));
          const ids = [...list.matchAll(/^id=(\d+) .*name=streamscope:first /gm)].map((m) => m[1]!);
          expect(ids.length).toBeGreaterThan(0);
          for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
        },
        { blockMs: 100, staleMs: 500 },
      );
    },
  );
});
