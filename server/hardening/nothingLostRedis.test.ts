/**
 * Nothing lost, with the reply log in Redis: two instances share one Redis, SSE connections are
 * cut at random bytes hundreds of times, and every resume (`Last-Event-ID`, as EventSource sends
 * it) goes to the other instance, which reads on from the shared log. Every reply must
 * reassemble exactly: each token index once, in order, the text equal to the source's. Replies
 * sampled at random (no seed) too: their event ids name the draw, and the shared log holds it, so
 * the other instance continues the same words. Then Redis is restarted mid-stream (empty: it saves
 * nothing): the streams end with an SSE error naming Redis, resumes get 503s until it is back, and
 * then the log is rebuilt from the offset: still nothing lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { createParser } from 'eventsource-parser';
import { redisMissing, startRedisServer, type RedisServer } from '../redis/redisServer.ts';
import { RedisReplyLog } from '../replies/redisReplyLog.ts';
import { listen, type Listening } from '../testing/listen.ts';
import { until } from '../testing/until.ts';
import { replyFor } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';
import { seededRandom } from '../model/random.ts';

const missing = redisMissing();
if (missing) console.warn(`Skipping nothing-lost over Redis: ${missing}`);

/** Fast, so hundreds of cuts take seconds. */
const pacing = 'tps=1000&ttft=0&jitter=0';
const prompts = ['emoji-glitches', 'japanese-why-streaming', 'on-the-wire&temperature=1&seed=4', 'arabic-word-by-word&temperature=1.5'];

interface Token {
  index: number;
  text: string;
}

interface Segment {
  status: number;
  tokens: Token[];
  done: boolean;
  /** The `error` event's detail, if one came. */
  error: string | null;
  lastEventId: string | null;
}

/**
 * One connection: reads until `atByte` bytes of body arrived, then the client aborts (only the
 * bytes before the cut are parsed, as a client that lost the rest).
 */
function readSegment(port: number, path: string, lastEventId: string | null, atByte: number): Promise<Segment> {
  return new Promise((resolve) => {
    const segment: Segment = { status: 0, tokens: [], done: false, error: null, lastEventId };
    const parser = createParser({
      onEvent: (event) => {
        if (event.id) segment.lastEventId = event.id;
        if (event.event === 'token') segment.tokens.push(JSON.parse(event.data) as Token);
        if (event.event === 'done') segment.done = true;
        if (event.event === 'error') segment.error = (JSON.parse(event.data) as { detail: string }).detail;
      },
    });
    const headers: Record<string, string> = lastEventId === null ? {} : { 'last-event-id': lastEventId };
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      segment.status = res.statusCode ?? 0;
      const decoder = new TextDecoder();
      let received = 0;
      let cut = false;
      res.on('data', (chunk: Buffer) => {
        if (cut) return;
        const room = atByte - received;
        received += chunk.length;
        if (room > chunk.length || segment.status !== 200) return parser.feed(decoder.decode(chunk, { stream: true }));
        parser.feed(decoder.decode(chunk.subarray(0, room), { stream: true }));
        cut = true;
        req.destroy();
      });
      res.on('error', () => {});
      res.on('close', () => resolve(segment));
    });
    req.on('error', () => resolve(segment));
  });
}

describe.skipIf(missing !== null)('SSE over a Redis reply log, resumed on the other instance after random cuts', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let logs: RedisReplyLog[];
  let servers: Listening[];
  /** Which instance takes the next connection: they alternate, across replies too. */
  let turn = 0;

  beforeAll(async () => {
    redis = await startRedisServer();
    logs = await Promise.all([0, 1].map(() => RedisReplyLog.connect(redis.url, { log: () => {}, reconnectMs: 100 })));
    servers = await Promise.all(logs.map((replyLog, i) => listen({ replyLog, instance: 'ab'[i], maxStreamsPerClient: 10_000, retryMs: 0 })));
  });
  afterAll(async () => {
    await Promise.all((servers ?? []).map((s) => s.close()));
    await Promise.all((logs ?? []).map((l) => l.close()));
    await redis?.stop();
  });

  /**
   * Streams `settings` to its end through as many cuts as it takes, each resume on the other
   * instance after the last event id received. A 503 (Redis away) is asked again a moment later.
   * `during(cuts)` runs after each segment (the restart test stops Redis there).
   */
  async function throughCuts(settings: string, random: () => number, during?: (cuts: number) => void, pace = pacing) {
    const tokens: Token[] = [];
    const errors: string[] = [];
    let lastEventId: string | null = null;
    let cuts = 0;
    let refused = 0;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 3000) throw new Error(`${settings}: no end after ${cuts} cuts`);
      const server = servers[turn++ % 2]!;
      const segment = await readSegment(server.port, `/api/stream/sse?prompt=${settings}&${pace}`, lastEventId, 1 + Math.floor(random() * 600));
      if (segment.status === 503) {
        refused++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      expect(segment.status).toBe(200);
      tokens.push(...segment.tokens);
      lastEventId = segment.lastEventId;
      if (segment.error) errors.push(segment.error);
      if (segment.done) return { tokens, cuts, errors, refused, lastEventId };
      cuts++;
      during?.(cuts);
    }
  }

  /** Every token once, in order, and the text the reply's (a sampled one's: the draw its event ids name). */
  function expectWhole(settings: string, tokens: readonly Token[], lastEventId: string | null): void {
    const draw = lastEventId?.includes(':') ? parseInt(lastEventId.split(':')[0]!, 36) : undefined;
    const expected = replyFor(parseSettings(Object.fromEntries(new URLSearchParams(`prompt=${settings}&${pacing}`))), draw);
    expect(tokens.map((t) => t.index)).toEqual(expected.tokens.map((_, i) => i));
    expect(tokens.map((t) => t.text).join('')).toBe(expected.text);
  }

  it('the client aborts at a random byte, 200+ times, every resume on the other instance: 0 lost, 0 repeated', async () => {
    const random = seededRandom(9);
    let cuts = 0;
    let replies = 0;
    const appended = logs.map((l) => l.stats.appended);
    const roundTrips = logs.map((l) => l.stats.roundTrips);
    let replyTokens = 0;
    while (cuts < 200 || replies < prompts.length) {
      const settings = prompts[replies % prompts.length]!;
      const result = await throughCuts(settings, random);
      expectWhole(settings, result.tokens, result.lastEventId);
      expect(result.errors).toEqual([]);
      cuts += result.cuts;
      replyTokens += result.tokens.length;
      replies++;
    }
    // Each reply was generated once, whichever instance it started on: the resumes only read.
    const generated = logs.map((l, i) => l.stats.appended - appended[i]!);
    await until(
      () => logs.reduce((sum, l, i) => sum + l.stats.appended - appended[i]!, 0) === replyTokens,
      () => ({ replyTokens, generated: logs.map((l, i) => l.stats.appended - appended[i]!) }),
    );
    await until(
      () => servers.every((s) => s.limiter.open === 0) && logs.every((l) => l.stats.tails === 0),
      () => logs.map((l) => l.stats),
    );
    const tokens = replyTokens;
    expect(generated.every((n) => n > 0)).toBe(true);
    const trips = logs.reduce((sum, l, i) => sum + l.stats.roundTrips - roundTrips[i]!, 0);
    console.info(
      `nothing lost over Redis: ${replies} replies, ${cuts} cuts, ${tokens} tokens generated, ${trips} Redis round trips (${(trips / tokens).toFixed(2)} a token)`,
    );
  });

  it('Redis restarted mid-stream: the stream ends with an error naming Redis, resumes wait out the 503s, and nothing is lost', async () => {
    const random = seededRandom(99);
    const settings = 'japanese-why-streaming';
    let restarting: Promise<void> | undefined;
    // Slow enough that Redis goes away while the reply is generating.
    const result = await throughCuts(
      settings,
      random,
      (cuts) => {
        if (cuts === 5) restarting = redis.restart();
      },
      'tps=100&ttft=0&jitter=0',
    );
    await restarting;
    expectWhole(settings, result.tokens, result.lastEventId);
    expect(result.errors.length + result.refused).toBeGreaterThan(0);
    for (const error of result.errors) expect(error).toMatch(new RegExp(`Redis at redis://127\\.0\\.0\\.1:${redis.port}`));
    await until(
      () => servers.every((s) => s.limiter.open === 0) && logs.every((l) => l.stats.tails === 0),
      () => logs.map((l) => l.stats),
    );
  });
});
