import { redisMissing, startRedisServer, type RedisServer } from '../redis/redisServer.ts';
import { RedisReplyLog } from './redisReplyLog.ts';
import type { ReplyLog } from './replyLog.ts';

/** The reply logs `npm start` runs with, and what to tell the terminal about them. */
export interface ConfiguredReplyLogs {
  /** The app's own log; `undefined`: in memory (the default of `createApp`). */
  app: ReplyLog | undefined;
  /** The log the load-balancer lab's instances share when a learner switches it on; `undefined`: one in memory. */
  lab: ReplyLog | undefined;
  /** Lines for the terminal: where replies are logged, and how to share them. */
  lines: string[];
  /** Lets go of Redis, and stops the private redis-server if this started one. */
  close(): Promise<void>;
}

/**
 * Where replies are logged, from the environment:
 * - `STREAMSCOPE_REDIS_URL=redis://…`: on that Redis, for the app and the lab, shared with every
 *   process given the same URL; one that does not answer is an error naming it. A generation then
 *   runs to its end when its reader leaves, so a resume on another process can read on;
 * - unset: the app's own log in memory (a closed connection stops its generation, as lesson 11
 *   shows), and, with `redis-server` installed, a private one on a free loopback port for the
 *   lab's shared log, stopped with the process; without it, the lab's shared log is in memory and
 *   the terminal says how to add Redis.
 */
export async function configuredReplyLogs(env: NodeJS.ProcessEnv = process.env): Promise<ConfiguredReplyLogs> {
  const url = env.STREAMSCOPE_REDIS_URL?.trim();
  if (url) {
    let log: RedisReplyLog;
    try {
      log = await RedisReplyLog.connect(url);
    } catch (error) {
      throw new Error(`STREAMSCOPE_REDIS_URL: ${(error as Error).message}`);
    }
    return {
      app: log,
      lab: log,
      lines: [`Reply log: ${log.where}, shared with every process given the same STREAMSCOPE_REDIS_URL (the load-balancer lab's shared log too).`],
      close: () => log.close(),
    };
  }
  const own = 'Reply log: in memory, this process only. To share replies between processes, give each one STREAMSCOPE_REDIS_URL (README, "Several processes").';
  const missing = redisMissing(env);
  if (missing) {
    return { app: undefined, lab: undefined, lines: [own, `  The load-balancer lab's shared log: in memory too (${missing}).`], close: async () => {} };
  }
  let server: RedisServer | undefined;
  try {
    server = await startRedisServer();
    const log = await RedisReplyLog.connect(server.url);
    const started = server;
    return {
      app: undefined,
      lab: log,
      lines: [own, `  The load-balancer lab's shared log: ${log.where} (a private redis-server, stopped with this process).`],
      close: async () => {
        await log.close();
        await started.stop();
      },
    };
  } catch (error) {
    await server?.stop();
    return {
      app: undefined,
      lab: undefined,
      lines: [own, `  The load-balancer lab's shared log: in memory (the private redis-server did not start: ${(error as Error).message}).`],
      close: async () => {},
    };
  }
}
