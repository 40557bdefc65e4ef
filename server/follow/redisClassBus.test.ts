/**
 * RedisClassBus against a private redis-server, two buses in one process standing for two
 * processes: the whole class counted, and a process that stops reporting (killed) no longer
 * counted; batches sent to both at once are taken once, in order; a bus leaves nothing open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { redisAdmin } from '../testing/redisAdmin.ts';
import { redisMissing, startRedisServer, type RedisServer } from '../redis/redisServer.ts';
import { RedisClassBus } from './redisClassBus.ts';
import { until } from '../testing/until.ts';
import type { BroadcastBatch } from '../../shared/broadcast.ts';

const missing = redisMissing();
const quiet = { log: () => {} };

describe.skipIf(missing !== null)(`RedisClassBus${missing ? ` (skipped: ${missing})` : ''}`, () => {
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

  it('counts the whole class; a process that stops reporting stops counting after staleMs, one that closes at once', async () => {
    await admin.flushall();
    const a = await RedisClassBus.connect(redis.url, { ...quiet, reportMs: 100 });
    const b = await RedisClassBus.connect(redis.url, { ...quiet, reportMs: 100 });
    a.countHere(3);
    b.countHere(2);
    await until(
      () => a.followers(3) === 5 && b.followers(2) === 5,
      () => [a.followers(3), b.followers(2)],
    );
    await b.close();
    await until(
      () => a.followers(3) === 3,
      () => a.followers(3),
    );
    // A report that stops without a goodbye (a killed process): gone after staleMs (3 reports).
    await admin.call('HSET', 'streamscope:class:followers', 'killed', '7');
    await admin.call('ZADD', 'streamscope:class:seen', String(Date.now()), 'killed');
    await until(
      () => a.followers(3) === 10,
      () => a.followers(3),
    );
    await until(
      () => a.followers(3) === 3,
      () => a.followers(3),
      3000,
    );
    await a.close();
  });

  it('takes each batch once when two processes get it at the same time, and mirrors the run into both', async () => {
    await admin.flushall();
    const a = await RedisClassBus.connect(redis.url, quiet);
    const b = await RedisClassBus.connect(redis.url, quiet);
    const batch = (seq: number): BroadcastBatch => ({ run: 'race', seq, sentAt: seq, records: [{ type: 'end' }] });
    for (let seq = 0; seq < 20; seq++) {
      const results = await Promise.all([a.publish(batch(seq)), b.publish(batch(seq))]);
      expect(results.sort()).toEqual(['repeat', 'taken']);
    }
    await until(
      () => a.broadcast.current?.records === 20 && b.broadcast.current?.records === 20,
      () => [a.broadcast.current, b.broadcast.current],
    );
    expect(a.broadcast.frames.map((f) => f.index)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(b.broadcast.frames).toEqual(a.broadcast.frames);
    await Promise.all([a.close(), b.close()]);
    const ours = String(await admin.call('CLIENT', 'LIST'))
      .trim()
      .split('\n');
    expect(ours).toHaveLength(1);
  });
});
