/**
 * One blocking connection that follows many Redis streams at once: every followed log of a
 * process is read by the same `XREAD COUNT … BLOCK … STREAMS k1 k2 … id1 id2 …`, and what comes
 * is handed to each stream's tail, which fans it out to its readers. 250 followed replies cost one
 * connection, not 250. When the set of streams changes (a tail starts or ends), the blocked XREAD
 * is released (CLIENT UNBLOCK, on the command connection) and issued again with the new set.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';

/** A stream entry as XREAD and XRANGE give it: id, then field, value, … */
export type RawEntry = [id: string, fields: string[]];

/** One followed stream, as the multiplexer sees it. */
export interface MuxedStream {
  readonly key: string;
  /** The stream is read after this id (the tail moves it on as entries come). */
  readonly lastId: string;
  /** Entries of its stream came (in order, after `lastId`). */
  deliver(entries: RawEntry[]): void;
  /** Nothing came for it for `blockMs` (its log may be gone, or orphaned). */
  quiet(): void;
  /** The blocking connection failed: the stream can no longer be followed. */
  fail(error: unknown): void;
}

export interface TailMuxOptions {
  url: string;
  /** How the connection is made (fails fast, never queues). */
  connection: RedisOptions;
  /** ms an XREAD blocks; each stream quiet that long gets `quiet()`. */
  blockMs: number;
  /** Releases a blocked XREAD of the connection with this CLIENT ID (on another connection). */
  unblock(clientId: number): Promise<boolean>;
  /** Counts each XREAD (stats). */
  counted(): void;
}

export class TailMux {
  readonly #options: TailMuxOptions;
  readonly #streams = new Map<string, { stream: MuxedStream; quietSince: number }>();
  #redis: Redis | undefined;
  #clientId = 0;
  #running = false;
  #reading = false;
  /** The set changed since the XREAD in flight was issued. */
  #dirty = false;
  #releasing = false;
  #opened = 0;
  #closed = false;

  constructor(options: TailMuxOptions) {
    this.#options = options;
  }

  /** Streams followed now. */
  get streams(): number {
    return this.#streams.size;
  }

  /** Blocking connections open now (0 or 1). */
  get open(): number {
    return this.#redis && this.#redis.status !== 'end' ? 1 : 0;
  }

  /** Open, and following nothing. */
  get idle(): number {
    return this.open === 1 && this.#streams.size === 0 ? 1 : 0;
  }

  /** Blocking connections opened since the start. */
  get opened(): number {
    return this.#opened;
  }

  add(stream: MuxedStream): void {
    this.#streams.set(stream.key, { stream, quietSince: performance.now() });
    this.#changed();
  }

  remove(stream: MuxedStream): void {
    if (this.#streams.get(stream.key)?.stream !== stream) return;
    this.#streams.delete(stream.key);
    this.#changed();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#streams.clear();
    const redis = this.#redis;
    this.#redis = undefined;
    if (!redis) return;
    redis.disconnect();
    await ended(redis);
  }

  /** The set changed: a blocked XREAD is released, and the loop reads the new set. */
  #changed(): void {
    if (this.#closed) return;
    if (!this.#running) {
      if (this.#streams.size > 0) void this.#run();
      return;
    }
    this.#dirty = true;
    if (this.#reading) void this.#release();
  }

  /**
   * Releases the blocked XREAD. An UNBLOCK that reaches Redis before the XREAD it means to release
   * releases nothing (and the new set would wait `blockMs`): it is sent again until one does, or
   * the XREAD came back by itself.
   */
  async #release(): Promise<void> {
    if (this.#releasing) return;
    this.#releasing = true;
    try {
      for (let attempt = 0; attempt < 100 && this.#reading && this.#dirty && !this.#closed; attempt++) {
        if (await this.#options.unblock(this.#clientId)) return;
        await sleep(2);
      }
    } finally {
      this.#releasing = false;
    }
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#streams.size > 0 && !this.#closed) {
        const redis = await this.#connection();
        const following = [...this.#streams.values()];
        const keys = following.map((f) => f.stream.key);
        const ids = following.map((f) => f.stream.lastId);
        this.#options.counted();
        this.#dirty = false;
        this.#reading = true;
        let reply: [string, RawEntry[]][] | null;
        try {
          reply = (await redis.call('XREAD', 'COUNT', 1000, 'BLOCK', this.#options.blockMs, 'STREAMS', ...keys, ...ids)) as [string, RawEntry[]][] | null;
        } finally {
          this.#reading = false;
        }
        const now = performance.now();
        const came = new Set<string>();
        for (const [key, entries] of reply ?? []) {
          const followed = this.#streams.get(key);
          if (!followed || entries.length === 0) continue;
          came.add(key);
          followed.quietSince = now;
          followed.stream.deliver(entries);
        }
        for (const followed of following) {
          if (came.has(followed.stream.key) || this.#streams.get(followed.stream.key) !== followed) continue;
          if (now - followed.quietSince < this.#options.blockMs) continue;
          followed.quietSince = now;
          followed.stream.quiet();
        }
      }
    } catch (error) {
      // The blocking connection failed (Redis went away): every stream it followed fails, and the
      // next one followed opens a new connection.
      this.#redis?.disconnect();
      this.#redis = undefined;
      const failed = [...this.#streams.values()];
      this.#streams.clear();
      if (!this.#closed) for (const { stream } of failed) stream.fail(error);
    } finally {
      this.#running = false;
    }
    // Streams added while the loop was failing: follow them.
    if (this.#streams.size > 0 && !this.#closed) void this.#run();
  }

  async #connection(): Promise<Redis> {
    if (this.#redis && this.#redis.status === 'ready') return this.#redis;
    this.#redis?.disconnect();
    // No reconnecting: a blocking connection that fails fails its streams, and a new one is made.
    const redis = new Redis(this.#options.url, { ...this.#options.connection, retryStrategy: () => null });
    redis.on('error', () => {});
    this.#redis = redis;
    this.#opened++;
    await redis.connect();
    this.#clientId = Number(await redis.call('CLIENT', 'ID'));
    if (this.#closed) throw new Error('closed');
    return redis;
  }
}

/** Resolves once the connection has ended (closed for good). */
export function ended(redis: Redis): Promise<void> {
  if (redis.status === 'end') return Promise.resolve();
  return new Promise((resolve) => redis.once('end', () => resolve()));
}
