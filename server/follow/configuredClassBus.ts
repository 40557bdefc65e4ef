import { MemoryClassBus, type ClassBus } from './classBus.ts';
import { RedisClassBus } from './redisClassBus.ts';

/** The class `npm start` serves, and what to tell the terminal about it. */
export interface ConfiguredClassBus {
  bus: ClassBus;
  /** Lines for the terminal. */
  lines: string[];
}

/**
 * Where the class is kept, from the environment: with `STREAMSCOPE_REDIS_URL`, in that Redis,
 * shared with every process given the same URL (a hall: the presenter on any process, followers
 * on all); one that does not answer is an error naming it. Unset: in this process, as always.
 * A hall's processes must share `STREAMSCOPE_PRESENTER_TOKEN` too: the presenter's cookie is
 * checked by whichever process a request reaches.
 */
export async function configuredClassBus(env: NodeJS.ProcessEnv = process.env, name?: string): Promise<ConfiguredClassBus> {
  const url = env.STREAMSCOPE_REDIS_URL?.trim();
  if (!url) return { bus: new MemoryClassBus(), lines: [] };
  let bus: RedisClassBus;
  try {
    bus = await RedisClassBus.connect(url, name ? { name } : {});
  } catch (error) {
    throw new Error(`STREAMSCOPE_REDIS_URL: ${(error as Error).message}`);
  }
  const lines = [`Class (position, blank screen, followers, broadcast run): ${bus.where}, shared with every process given the same STREAMSCOPE_REDIS_URL.`];
  if (!env.STREAMSCOPE_PRESENTER_TOKEN?.trim())
    lines.push('  Give every process the same STREAMSCOPE_PRESENTER_TOKEN: with a token of its own, each lets only its own presenter URL drive the class.');
  return { bus, lines };
}
