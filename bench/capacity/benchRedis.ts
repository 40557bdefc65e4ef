/**
 * The redis-server the capacity section keeps a target's reply log on: one for the whole run
 * (`startRedisServer()`, a private one on a free loopback port), emptied before every step, and
 * watched through a plain ioredis client of the bench's own (its CPU and memory, from INFO).
 */
import { Redis } from 'ioredis';
import { redisMissing, startRedisServer, type RedisServer } from '../../server/redis/redisServer.ts';

export interface BenchRedis {
  /** e.g. `redis://127.0.0.1:40123`, passed to the target process. */
  url: string;
  /** FLUSHALL: a step starts from an empty Redis, with nothing in memory or expiring from the last one. */
  flush(): Promise<void>;
  /** redis-server's own CPU time so far (INFO cpu: used_cpu_user + used_cpu_sys), and the bench's clock when it answered. */
  cpu(): Promise<RedisCpu>;
  /** Memory redis-server uses now (INFO memory: used_memory), bytes. */
  usedMemory(): Promise<number>;
  /** Lets go of the client and stops redis-server (its data is gone: nothing is saved). */
  stop(): Promise<void>;
}

export interface RedisCpu {
  seconds: number;
  /** performance.now() when INFO answered, ms. */
  at: number;
}

/** A Redis for the run, or why there is none (redis-server missing, or it did not start). */
export type BenchRedisOrReason = { redis: BenchRedis; skipped: null } | { redis: null; skipped: string };

export async function startBenchRedis(): Promise<BenchRedisOrReason> {
  const missing = redisMissing();
  if (missing) return { redis: null, skipped: missing };
  let server: RedisServer;
  try {
    server = await startRedisServer();
  } catch (error) {
    return { redis: null, skipped: error instanceof Error ? error.message : String(error) };
  }
  const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {
    // Each failed command says why.
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    await server.stop();
    return { redis: null, skipped: `could not connect to the bench's redis-server: ${error instanceof Error ? error.message : String(error)}` };
  }
  const info = async (section: string): Promise<Map<string, string>> => {
    const text = (await client.info(section)) as string;
    return new Map(
      text
        .split('\r\n')
        .filter((line) => line.includes(':') && !line.startsWith('#'))
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)] as [string, string]),
    );
  };
  return {
    skipped: null,
    redis: {
      url: server.url,
      async flush() {
        await client.flushall();
      },
      async cpu() {
        const fields = await info('cpu');
        return { seconds: Number(fields.get('used_cpu_user')) + Number(fields.get('used_cpu_sys')), at: performance.now() };
      },
      async usedMemory() {
        return Number((await info('memory')).get('used_memory'));
      },
      async stop() {
        client.disconnect();
        await server.stop();
      },
    },
  };
}
