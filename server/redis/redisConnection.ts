/** How Streamscope's connections to Redis behave, and how it names a Redis server: never with its password. */
import type { RedisOptions } from 'ioredis';

/**
 * Options for every connection (the reply log's and the class bus's): fail fast rather than queue
 * while Redis is away, so a stream ends with the reason and a request gets a 503 at once.
 */
export const connectionOptions: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 2000,
  protocol: 2,
  maintNotifications: 'disabled',
};

/** The URL without a user or password (a screen may be projected). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password && !parsed.username) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The error a Redis server's first command failed with, worded for the one who started Streamscope. */
export function unreachable(url: string, error: unknown): Error {
  return new Error(`Redis at ${displayUrl(url)} does not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
