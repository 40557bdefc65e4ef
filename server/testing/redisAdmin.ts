import { Redis, type RedisOptions } from 'ioredis';

/**
 * A connection of the test's own to the Redis at `url`, for what the test asks Redis directly
 * (FLUSHALL, CLIENT LIST, KEYS…): RESP2, connected when this resolves; a lost connection is left
 * to the test's assertions, not thrown as an unhandled error.
 */
export async function redisAdmin(url: string, options: RedisOptions = {}): Promise<Redis> {
  const admin = new Redis(url, { lazyConnect: true, protocol: 2, maintNotifications: 'disabled', ...options });
  admin.on('error', () => {});
  await admin.connect();
  return admin;
}
