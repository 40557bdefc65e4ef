/**
 * The Redis Streams reply log against a private redis-server of its own (`startRedisServer`):
 * the same contract as the in-memory log, then what only a network store has: expiry in Redis,
 * one blocking connection for every followed log, Redis going away and coming back, nothing left open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { redisAdmin } from '../testing/redisAdmin.ts';
import { redisMissing, startRedisServer, type RedisServer } from '../redis/redisServer.ts';
import { RedisReplyLog, redisKeyPrefix } from './redisReplyLog.ts';
import { drain, replyLogContract } from './replyLogContract.ts';
import type { ReplyLog } from './replyLog.ts';
import { until } from '../testing/until.ts';

const missing = redisMissing();
if (missing) console.warn(`Skipping the Redis reply log tests: ${missing}`);

let redis: RedisServer;
let admin: Redis;
const quiet = { log: () => {} };

describe.skipIf(missing !== null)('RedisReplyLog', () => {
  beforeAll(async () => {
    redis = await startRedisServer();
    admin = await redisAdmin(redis.url, { retryStrategy: () => 200 });
  });
  afterAll(async () => {
    admin.disconnect();
    await redis?.stop();
  });

  /** Connections Redis has now, besides the test's own. */
  const clients = async (): Promise<number> =>
    String(await admin.call('CLIENT', 'LIST'))
      .trim()
      .split('\n').length - 1;

  replyLogContract('RedisReplyLog', {
    async open() {
      await admin.flushall();
      return RedisReplyLog.connect(redis.url, quiet);
    },
    async settled(log: ReplyLog) {
      const r = log as RedisReplyLog;
      await until(
        () => r.stats.tails === 0 && r.stats.connections === 1 + r.stats.idleConnections,
        () => r.stats,
      );
    },
  });

  it('connect names the URL when Redis does not answer', async () => {
    await expect(RedisReplyLog.connect('redis://127.0.0.1:1', quiet)).rejects.toThrow(/Redis at redis:\/\/127\.0\.0\.1:1 does not answer/);
  });

  it('says where it is, and is shared', async () => {
    const log = await RedisReplyLog.connect(redis.url, quiet);
    expect(log.where).toBe(`Redis at ${redis.url}`);
    expect(log.shared).toBe(true);
    await log.close();
  });

  it('keys expire maxAgeMs after the end; a generating log’s are held longer', async () => {
    await admin.flushall();
    const log = await RedisReplyLog.connect(redis.url, { ...quiet, maxAgeMs: 300 });
    const done = await log.create('short', 0, 1);
    done.append('x');
    done.finish('done');
    const live = await log.create('live', 0, 5);
    live.append('y');
    await until(async () => (await admin.pttl(`${redisKeyPrefix}short`)) <= 300, 'the finished log to get its expiry');
    expect(await admin.pttl(`${redisKeyPrefix}live`)).toBeGreaterThan(60_000);
    expect(await admin.pttl(`${redisKeyPrefix}live:1`)).toBeGreaterThan(60_000);
    await until(async () => (await log.get('short')) === undefined, 'the finished log to expire', 3000);
    expect(await admin.exists(`${redisKeyPrefix}short`, `${redisKeyPrefix}short:1`)).toBe(0);
    expect((await log.get('live'))?.state).toBe('generating');
    live.finish('stopped');
    await log.close();
  });

  it('one blocking connection for every followed log, however many readers follow them here; it stays, idle, once they leave', async () => {
    await admin.flushall();
    const log = await RedisReplyLog.connect(redis.url, quiet);
    const base = await clients();
    const a = await log.create('a', 0, 3);
    const b = await log.create('b', 0, 3);
    const readers = [a.read(0), a.read(0), a.read(0), b.read(0), b.read(0)];
    const reads = readers.map(drain);
    a.append('a0');
    b.append('b0');
    await until(
      () => log.stats.tails === 2 && readers.every((r) => r.position === 1),
      () => log.stats,
    );
    expect(log.stats.connections).toBe(2);
    expect(await clients()).toBe(base + 1);
    a.append('a1');
    a.append('a2');
    a.finish('done');
    expect(await Promise.all(reads.slice(0, 3))).toEqual([0, 1, 2].map(() => ['0:a0', '1:a1', '2:a2']));
    // b's readers leave while the XREAD is blocked: CLIENT UNBLOCK frees it, and it follows nothing.
    await Promise.all(readers.slice(3).map((r) => r.return()));
    expect(await Promise.all(reads.slice(3))).toEqual([['0:b0'], ['0:b0']]);
    await until(
      () => log.stats.tails === 0 && log.stats.connections === 2 && log.stats.idleConnections === 1,
      () => log.stats,
    );
    // The next followed log uses the same connection.
    const opened = log.stats.connectionsOpened;
    const c = await log.create('c', 0, 1);
    const read = drain(c.read(0));
    await until(
      () => log.stats.tails === 1,
      () => log.stats,
    );
    c.append('c0');
    c.finish('done');
    expect(await read).toEqual(['0:c0']);
    expect(log.stats.connectionsOpened).toBe(opened);
    b.finish('stopped');
    await log.close();
    expect(log.stats.connections).toBe(0);
    await until(async () => (await clients()) === base - 1, 'Redis to see the log’s connections go');
  });

  it('100 followed replies, each by its own reader, use one blocking connection (CLIENT LIST), and every reader gets its own log', async () => {
    await admin.flushall();
    const log = await RedisReplyLog.connect(redis.url, { ...quiet, name: 'many' });
    const entries = await Promise.all(Array.from({ length: 100 }, (_, i) => log.create(`many-${i}`, 0, 3)));
    const reads = entries.map((entry) => drain(entry.read(0)));
    entries.forEach((entry, i) => entry.append(`${i}a`));
    await until(
      () => log.stats.tails === 100,
      () => log.stats,
    );
    const ours = async () =>
      String(await admin.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((line) => line.includes('name=streamscope:many'));
    // The command connection and one blocking connection, blocked in XREAD of the 100 streams.
    let listed: string[] = [];
    await until(
      async () => (listed = await ours()).some((line) => /cmd=xread/.test(line)),
      () => listed,
    );
    expect(listed).toHaveLength(2);
    expect(listed.filter((line) => /cmd=xread/.test(line))).toHaveLength(1);
    expect(log.stats.connections).toBe(2);
    expect(log.stats.connectionsOpened).toBe(1);
    entries.forEach((entry, i) => {
      entry.append(`${i}b`);
      entry.append(`${i}c`);
      entry.finish('done');
    });
    expect(await Promise.all(reads)).toEqual(entries.map((_, i) => [`0:${i}a`, `1:${i}b`, `2:${i}c`]));
    await until(
      () => log.stats.tails === 0,
      () => log.stats,
    );
    expect(await ours()).toHaveLength(2);
    await log.close();
  });

  it('a blocked reader with nothing coming looks again after blockMs, and ends if the log is gone', async () => {
    await admin.flushall();
    const log = await RedisReplyLog.connect(redis.url, { ...quiet, blockMs: 100 });
    const entry = await log.create('r', 0, 3);
    entry.append('a');
    const reader = entry.read(0);
    expect(await reader.next()).toEqual({ done: false, value: { index: 0, text: 'a' } });
    const pending = reader.next();
    await until(
      () => log.stats.tailReads >= 3,
      () => log.stats,
    );
    await admin.del(`${redisKeyPrefix}r:1`);
    await expect(pending).rejects.toThrow(/Reply r's log is gone from Redis at redis:\/\/127\.0\.0\.1:\d+/);
    // The generation learns at its next append, and stops.
    entry.append('b');
    await until(() => entry.broken !== undefined, 'the log to break');
    expect(entry.broken?.message).toMatch(/gone from Redis/);
    await log.close();
  });

  it('a log whose generation went quiet past staleMs is marked stopped; its follower ends with an error that says to resume', async () => {
    await admin.flushall();
    const log = await RedisReplyLog.connect(redis.url, { ...quiet, blockMs: 100, staleMs: 300 });
    const entry = await log.create('r', 0, 3);
    entry.append('a');
    const reader = entry.read(0);
    expect(await reader.next()).toEqual({ done: false, value: { index: 0, text: 'a' } });
    await expect(reader.next()).rejects.toThrow(/Reply r stopped at token 1 on Redis at .*went away\. Resume/);
    expect(await admin.hget(`${redisKeyPrefix}r`, 'state')).toBe('stopped');
    expect((await entry.snapshot()).state).toBe('stopped');
    // A live generation is never taken for orphaned: it writes at least once a second while it has tokens.
    const live = await log.create('live', 0, 30);
    const read = drain(live.read(0));
    for (let i = 0; i < 30; i++) {
      live.append(String(i));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    live.finish('done');
    expect(await read).toHaveLength(30);
    await log.close();
  });

  it('close() marks the logs it was generating stopped, so another instance can continue them', async () => {
    await admin.flushall();
    const [here, there] = await Promise.all([RedisReplyLog.connect(redis.url, quiet), RedisReplyLog.connect(redis.url, quiet)]);
    const entry = await here.create('r', 0, 4);
    entry.append('a');
    entry.append('b');
    const held = (await there.get('r'))!;
    const follower = held.read(0);
    const read = (async () => {
      const texts: string[] = [];
      for await (const token of follower) texts.push(token.text);
      return texts;
    })();
    await until(() => follower.position === 2, 'the follower to read what is held');
    const failed = expect(read).rejects.toThrow(/stopped at token 2 .*Resume/);
    await here.close();
    await failed;
    expect(entry.broken?.message).toMatch(/was closed/);
    const stopped = (await there.get('r'))!;
    expect({ state: stopped.state, end: stopped.end }).toEqual({ state: 'stopped', end: 2 });
    const reader = stopped.read(2);
    stopped.resume();
    stopped.append('c');
    stopped.append('d');
    stopped.finish('done');
    expect(await drain(reader)).toEqual(['2:c', '3:d']);
    expect((await stopped.snapshot()).tokens.map((t) => t.text)).toEqual(['a', 'b', 'c', 'd']);
    await there.close();
  });

  it('unknown ids, and ids that cannot be reply ids, are not held', async () => {
    const log = await RedisReplyLog.connect(redis.url, quiet);
    expect(await log.get('sse-nothing-here')).toBeUndefined();
    expect(await log.get('sse-x:1')).toBeUndefined();
    await log.close();
  });

  it('close() leaves no connection, timer or socket, even with readers waiting (they end with an error naming Redis)', async () => {
    await admin.flushall();
    const before = process.getActiveResourcesInfo();
    const base = await clients();
    const log = await RedisReplyLog.connect(redis.url, quiet);
    const entry = await log.create('r', 0, 3);
    entry.append('a');
    const reader = entry.read(0);
    await reader.next();
    const pending = reader.next();
    await until(
      () => log.stats.tails === 1,
      () => log.stats,
    );
    const failed = expect(pending).rejects.toThrow(/Redis at .* was closed/);
    await log.close();
    await failed;
    expect(entry.broken?.message).toMatch(/was closed/);
    await until(async () => (await clients()) === base, 'Redis to see every connection go');
    const count = (list: string[], kind: string): number => list.filter((r) => r === kind).length;
    await until(
      () => {
        const now = process.getActiveResourcesInfo();
        return count(now, 'Timeout') <= count(before, 'Timeout') && count(now, 'TCPSocketWrap') <= count(before, 'TCPSocketWrap');
      },
      () => process.getActiveResourcesInfo(),
    );
  });
});
