/**
 * A hall on one machine (`npm run hall`, and the hall benchmark): a private redis-server, several
 * Streamscope processes sharing it (`STREAMSCOPE_REDIS_URL`: the reply log and the class), one
 * presenter token for all of them, and real nginx in front (`hallNginxConfig`: each browser kept
 * on one process, browsers spread over all, moved to another when theirs dies), all on loopback. The same
 * set-up on several machines is the README's "A hall".
 */
import { randomBytes } from 'node:crypto';
import { findNginx, startNginx, type NginxFront } from '../labs/nginx/nginxFront.ts';
import { redisMissing, startRedisServer, type RedisServer } from '../redis/redisServer.ts';
import { startServerProcess, type ServerProcess } from './processes.ts';
import { hallNginxConfig } from './hallNginxConfig.ts';

export interface HallOptions {
  /** Streamscope processes behind nginx. @default 2 */
  processes?: number;
  /** The presenter token every process shares. @default a random one */
  token?: string;
  /** The built page the processes serve (`dist/`); null serves the API alone (tests). */
  staticDir: string | null;
  /** Connections nginx holds at once (a follower through nginx takes two). @default 8192 */
  nginxConnections?: number;
  /** Where the processes' stderr goes. @default 'inherit' */
  stderr?: 'inherit' | 'ignore';
}

export interface Hall {
  /** nginx: what the audience and the presenter open, e.g. `http://127.0.0.1:40123` */
  url: string;
  /** Opens presenter mode (sets the presenter cookie), through nginx. */
  presenterUrl: string;
  /** What the audience opens, through nginx. */
  audienceUrl: string;
  token: string;
  redis: RedisServer;
  nginx: NginxFront;
  processes: ServerProcess[];
  /** Stops nginx, the processes, then redis-server. */
  stop(): Promise<void>;
}

/** What a hall needs that is not installed here, each with how to install it; empty when nothing is missing. */
export function hallMissing(env: NodeJS.ProcessEnv = process.env): string[] {
  const missing: string[] = [];
  const redis = redisMissing(env);
  if (redis) missing.push(redis);
  if (!findNginx(env))
    missing.push(
      env.NGINX_PATH
        ? `NGINX_PATH (${env.NGINX_PATH}) is not an executable file`
        : 'nginx is not installed (Debian: apt-get install nginx-light), or set NGINX_PATH',
    );
  return missing;
}

/** Starts a hall; on a failure midway, stops what it started and rejects with the reason. */
export async function startHall({
  processes: count = 2,
  token = randomBytes(12).toString('base64url'),
  staticDir,
  nginxConnections = 8192,
  stderr = 'inherit',
}: HallOptions): Promise<Hall> {
  const missing = hallMissing();
  if (missing.length > 0) throw new Error(`A hall needs redis-server and nginx: ${missing.join('; ')}.`);
  let redis: RedisServer | undefined;
  const processes: ServerProcess[] = [];
  let nginx: NginxFront | undefined;
  const stop = async (): Promise<void> => {
    await nginx?.close();
    await Promise.all(processes.map((p) => p.stop()));
    await redis?.stop();
  };
  try {
    redis = await startRedisServer();
    const env = {
      STREAMSCOPE_REDIS_URL: redis.url,
      STREAMSCOPE_PRESENTER_TOKEN: token,
      ...(staticDir ? { STREAMSCOPE_STATIC_DIR: staticDir } : {}),
    };
    const started = await Promise.allSettled(
      Array.from({ length: count }, (_, i) => startServerProcess({ env: { ...env, STREAMSCOPE_NAME: `hall-${i + 1}` }, stderr })),
    );
    for (const result of started) if (result.status === 'fulfilled') processes.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    nginx = await startNginx({
      instances: [],
      config: (port) => hallNginxConfig({ port, servers: processes.map((p) => `127.0.0.1:${p.port}`), workerConnections: nginxConnections }),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: nginx.url,
    presenterUrl: `${nginx.url}/present?token=${token}`,
    audienceUrl: `${nginx.url}/follow`,
    token,
    redis,
    nginx,
    processes,
    stop,
  };
}
