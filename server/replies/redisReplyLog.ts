import { Redis } from 'ioredis';
import { Problem } from '../problem.ts';
import { TailMux, ended, type MuxedStream, type RawEntry } from './tailMux.ts';
import {
  defaultReplyLogBounds,
  type LogReader,
  type LogSnapshot,
  type LogState,
  type LoggedToken,
  type ReplyLog,
  type ReplyLogBounds,
  type ReplyLogEntry,
} from './replyLog.ts';
import { connectionOptions, displayUrl, unreachable } from '../redis/redisConnection.ts';

/** Every key the log writes starts with this. */
export const redisKeyPrefix = 'streamscope:reply:';

/** What a reply id may be (`replyId`: kind, hash, draw): a `:` would reach into another key. */
const replyIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

export interface RedisReplyLogOptions extends Partial<ReplyLogBounds> {
  /** ms one XREAD BLOCK waits before it looks again (whether the log is still there). @default 5000 */
  blockMs?: number;
  /** ms between attempts to reach Redis again after it went away. @default 500 */
  reconnectMs?: number;
  /**
   * ms without a write from a log's generation after which a follower here calls it orphaned
   * (its instance died or lost Redis) and marks the log `stopped`, so a resume continues it. Above
   * the longest quiet a live generation has (ttft up to 30 s). @default 45000
   */
  staleMs?: number;
  /** Names this instance's connections in Redis's CLIENT LIST (`streamscope:<name>`). @default none */
  name?: string;
  /** Where "Redis went away" and "Redis is back" go. @default console.warn */
  log?: (line: string) => void;
}

/** What the log has asked of Redis, for tests and benches (round trips per token). */
export interface RedisReplyLogStats {
  /** Round trips: a pipeline, a lone command or script, an XREAD each count one. */
  roundTrips: number;
  /** Commands sent (a pipeline's each count). */
  commands: number;
  /** Write pipelines flushed (appends, ends, expiry refreshes of all generations here, batched). */
  pipelines: number;
  /** Tokens this instance XADDed (its generations'). */
  appended: number;
  /** XREAD BLOCK calls made by tails. */
  tailReads: number;
  /** Logs this process follows now: one tail each, all read by one blocking connection. */
  tails: number;
  /** Connections to Redis open now: the command connection and the blocking one (once a log was followed), busy or idle. */
  connections: number;
  /** The blocking connection when it follows no log (kept for the next one): 0 or 1. */
  idleConnections: number;
  /** Blocking connections opened since `connect`. */
  connectionsOpened: number;
}

/**
 * The reply log in Redis Streams, shared by every instance that connects to the same Redis:
 * a resume may come to any instance and read on from the log.
 *
 * Layout, under `streamscope:reply:`:
 * - `<id>`: a hash, the reply's meta: `gen` (generation number, HINCRBY on each create), `start`,
 *   `of`, `state`, `live` (the expiry a generating log's keys get with each write);
 * - `<id>:<gen>`: one stream per generation, so a newer generation under the same id never mixes
 *   with an older one's readers. Entry `0-1` marks its beginning; token i is entry `<i+1>-0`
 *   (field `t`, its text); the end is entry `<end>-1` (field `s`, the state), which sorts after
 *   the last token (`0-2` for a log that ends before token 0). A resume of a stopped log deletes that entry and appends `<end+1>-0` on.
 *
 * Writes are pipelined, never awaited per token by the generation: appends of every generation
 * here wait in one batch while the previous pipeline is out (one connection keeps their order).
 * A write that fails, or the command connection closing, marks the log `broken`, with an error
 * that names Redis; its generation stops and its readers here end with that error.
 *
 * Readers XRANGE what is held from their offset (on the command connection), then follow a tail:
 * one per followed log per process, fanning out to this process's readers of the log. Every tail
 * of the process is read by one XREAD BLOCK of many streams on one blocking connection
 * (`TailMux`: 250 followed replies cost one connection, not 250), issued again when a tail starts
 * or ends (a blocked XREAD is released with CLIENT UNBLOCK). The tail ends when the log ends or
 * its last reader here leaves; the blocking connection stays open for the next.
 *
 * Bounds: a log's keys expire `maxAgeMs` after its end (PEXPIRE with the end entry); while it is
 * generating they expire `maxAgeMs` + 2 minutes after the last refresh, refreshed with the appends
 * at most once a second, so a generation whose process died is not kept forever. `maxLogs` and
 * `maxTokens` are not counted here: memory is Redis's own `maxmemory` (256 MB on the private
 * server of `startRedisServer`), and its `volatile-ttl` policy evicts the keys nearest their
 * expiry first, finished logs before generating ones.
 *
 * An instance that goes away mid-generation: `close()` ends its generations' logs `stopped`; one
 * that died or lost Redis leaves them generating, and a follower's tail, quiet for `blockMs`, finds
 * one not written for `staleMs` (its stream's expiry says when it was last pushed out) and marks it
 * `stopped`. A reader that meets `stopped` before the reply's end ends with an error that says to
 * resume (a `done` would tell the client the reply is over); the resume continues the log from its
 * end on whichever instance it reaches.
 *
 * Redis going away: the command connection fails at once instead of queueing
 * (`enableOfflineQueue: false`, `maxRetriesPerRequest: 0`) and keeps reconnecting every
 * `reconnectMs`; creates and lookups meanwhile fail with a 503 Problem naming Redis.
 */
export class RedisReplyLog implements ReplyLog {
  readonly shared = true;
  readonly where: string;
  readonly bounds: ReplyLogBounds;
  readonly url: string;
  readonly #options: Required<Omit<RedisReplyLogOptions, keyof ReplyLogBounds>>;
  readonly #cmd: Redis;
  /** Logs this process generates into now, by id (a lookup of the same generation gets the same entry). */
  readonly #local = new Map<string, RedisLogEntry>();
  readonly #tails = new Map<string, Tail>();
  readonly #mux: TailMux;
  #batch: Queued[] = [];
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  #closed = false;
  #down = false;
  readonly #stats = { roundTrips: 0, commands: 0, pipelines: 0, appended: 0, tailReads: 0 };

  private constructor(url: string, options: RedisReplyLogOptions) {
    const { blockMs = 5000, reconnectMs = 500, staleMs = 45_000, name = '', log = (line: string) => console.warn(line), ...bounds } = options;
    this.url = url;
    this.where = `Redis at ${displayUrl(url)}`;
    this.bounds = { ...defaultReplyLogBounds, ...bounds };
    this.#options = { blockMs, reconnectMs, staleMs, name, log };
    const connectionName = name ? `streamscope:${name}` : undefined;
    this.#cmd = new Redis(url, {
      ...connectionOptions,
      connectionName,
      // Keeps trying: the server serves again as soon as Redis is back.
      retryStrategy: () => reconnectMs,
    });
    this.#cmd.on('error', () => {
      // Each failed command says why; an 'error' without a listener would be logged by ioredis.
    });
    this.#cmd.on('close', () => this.#lost());
    this.#cmd.on('ready', () => {
      if (this.#down) this.#options.log(`${this.where} is back.`);
      this.#down = false;
    });
    this.#mux = new TailMux({
      url,
      connection: { ...connectionOptions, connectionName },
      blockMs,
      unblock: (clientId) => this.unblock(clientId),
      counted: () => this.countTailRead(),
    });
  }

  /**
   * Connects to Redis at `url` (`redis://host:port`); rejects with an error naming the URL if it
   * does not answer PING within 2 s.
   */
  static async connect(url: string, options: RedisReplyLogOptions = {}): Promise<RedisReplyLog> {
    const log = new RedisReplyLog(url, options);
    try {
      await log.#cmd.connect();
      await log.#cmd.ping();
      return log;
    } catch (error) {
      log.#cmd.disconnect();
      throw unreachable(url, error);
    }
  }

  get stats(): RedisReplyLogStats {
    return {
      ...this.#stats,
      tails: this.#tails.size,
      connections: (this.#cmd.status === 'end' ? 0 : 1) + this.#mux.open,
      idleConnections: this.#mux.idle,
      connectionsOpened: this.#mux.opened,
    };
  }

  async create(id: string, start: number, of: number): Promise<ReplyLogEntry> {
    if (!replyIdPattern.test(id)) throw new Error(`Reply log: ${JSON.stringify(id)} is not a reply id`);
    const gen = Number(await this.#ask((r) => r.call('EVAL', createScript, 1, metaKey(id), start, of, this.#generatingTtl)));
    const entry = new RedisLogEntry(this, { id, gen, start, of, end: start, state: 'generating' });
    this.#local.set(id, entry);
    return entry;
  }

  async get(id: string): Promise<ReplyLogEntry | undefined> {
    if (!replyIdPattern.test(id)) return undefined;
    const found = (await this.#ask((r) => r.call('EVAL', getScript, 1, metaKey(id)))) as string[] | null;
    if (!found) return undefined;
    const [gen, start, of, state, lastId] = found as [string, string, string, LogState, string];
    const local = this.#local.get(id);
    if (local && local.gen === Number(gen)) return local;
    const end = lastId === '0-1' ? Number(start) : Number(lastId.split('-')[0]);
    return new RedisLogEntry(this, { id, gen: Number(gen), start: Number(start), of: Number(of), end, state });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Generations here end with this instance: their logs say `stopped`, so a resume on another
    // instance continues them (from their end) instead of waiting for tokens that never come.
    const generating = [...this.#local.values()].filter((entry) => entry.state === 'generating' && !entry.broken);
    for (const entry of generating) this.finish(entry, 'stopped');
    this.#closed = true;
    this.#flush();
    while (this.#flushing) await this.#flushing;
    const closed = new Problem(503, `The reply log on ${this.where} was closed.`);
    for (const tail of [...this.#tails.values()]) tail.fail(closed);
    for (const entry of [...generating, ...this.#local.values()]) entry.break(closed);
    await this.#mux.close();
    if (this.#cmd.status === 'ready') await this.#cmd.quit().catch(() => this.#cmd.disconnect());
    else this.#cmd.disconnect();
    await ended(this.#cmd);
  }

  // ——— for entries, readers and tails ———

  get blockMs(): number {
    return this.#options.blockMs;
  }

  /** ms a generating log's keys live past the last refresh. */
  get #generatingTtl(): number {
    return this.bounds.maxAgeMs + 120_000;
  }

  /** The error a reader or generation ends with when Redis failed it. */
  wentAway(error: unknown): Error {
    if (error instanceof Problem) return error;
    return new Problem(503, `The reply log on ${this.where} went away: ${message(error)}`);
  }

  orphanedAt(id: string, position: number): Error {
    return new Problem(
      503,
      `Reply ${id} stopped at token ${position} on ${this.where}: the instance generating it went away. Resume (Last-Event-ID) to continue it.`,
    );
  }

  gone(id: string): Error {
    return new Problem(503, `Reply ${id}'s log is gone from ${this.where}: it expired, or Redis lost it.`);
  }

  /** One command or script on the command connection; a failure is a 503 naming Redis. */
  async #ask<T>(send: (redis: Redis) => Promise<T>, commands = 1): Promise<T> {
    if (this.#closed) throw new Problem(503, `The reply log on ${this.where} was closed.`);
    this.#stats.roundTrips++;
    this.#stats.commands += commands;
    try {
      return await send(this.#cmd);
    } catch (error) {
      throw new Problem(503, `The reply log on ${this.where} is not answering: ${message(error)}`);
    }
  }

  /**
   * Commands on the command connection, in order after every write queued before them (a
   * snapshot or a reader sees what this process appended), batched with them in one pipeline.
   */
  pipelined(commands: (string | number)[][]): Promise<unknown[]> {
    if (this.#closed) return Promise.reject(new Problem(503, `The reply log on ${this.where} was closed.`));
    return new Promise((resolve, reject) => {
      const results: unknown[] = [];
      let left = commands.length;
      let failed: Error | undefined;
      commands.forEach((args, i) =>
        this.#enqueue(args, (error, reply) => {
          failed ??= error ?? undefined;
          results[i] = reply;
          if (--left > 0) return;
          if (failed) reject(this.wentAway(failed));
          else resolve(results);
        }),
      );
    });
  }

  append(entry: RedisLogEntry, index: number, text: string): void {
    this.#stats.appended++;
    this.#write(entry, ['XADD', entry.key, 'NOMKSTREAM', `${index + 1}-0`, 't', text], (reply) => {
      // NOMKSTREAM: a stream that is gone (expired, evicted, Redis restarted) is not made anew.
      if (reply === null) entry.break(this.gone(entry.id));
    });
    const now = performance.now();
    if (now - entry.refreshedAt >= 1000) {
      entry.refreshedAt = now;
      this.#write(entry, ['PEXPIRE', entry.metaKey, this.#generatingTtl]);
      this.#write(entry, ['PEXPIRE', entry.key, this.#generatingTtl]);
    }
  }

  finish(entry: RedisLogEntry, state: Exclude<LogState, 'generating'>): void {
    const args = ['EVAL', finishScript, 2, entry.metaKey, entry.key, entry.gen, state, endId(entry.end), this.bounds.maxAgeMs];
    this.#write(entry, args, () => {
      if (this.#local.get(entry.id) === entry) this.#local.delete(entry.id);
    });
  }

  resume(entry: RedisLogEntry): void {
    this.#local.set(entry.id, entry);
    entry.refreshedAt = performance.now();
    this.#write(entry, ['EVAL', resumeScript, 2, entry.metaKey, entry.key, entry.gen, endId(entry.end), this.#generatingTtl]);
  }

  /** A log's store broke: its readers here end with the error, and it is no longer generated here. */
  broke(entry: RedisLogEntry, error: Error): void {
    if (this.#local.get(entry.id) === entry) this.#local.delete(entry.id);
    this.#tails.get(entry.key)?.fail(error);
  }

  /**
   * Joins `reader` to the tail of `key`, which reads after `afterId`. False when the tail has
   * already read past it (the reader must XRANGE up to where the tail is, then join).
   */
  follow(id: string, key: string, afterId: string, reader: RedisLogReader): Tail | undefined {
    let tail = this.#tails.get(key);
    if (tail && compareIds(tail.lastId, afterId) > 0) return undefined;
    if (!tail) {
      tail = new Tail(this, id, key, afterId, this.#mux);
      this.#tails.set(key, tail);
      tail.start();
    }
    tail.readers.add(reader);
    return tail;
  }

  tailEnded(tail: Tail): void {
    if (this.#tails.get(tail.key) === tail) this.#tails.delete(tail.key);
  }

  countTailRead(): void {
    this.#stats.tailReads++;
    this.#stats.roundTrips++;
    this.#stats.commands++;
  }

  /** Releases a blocked XREAD (CLIENT UNBLOCK on the command connection): true if it was. */
  async unblock(clientId: number): Promise<boolean> {
    try {
      return (await this.#ask((r) => r.call('CLIENT', 'UNBLOCK', clientId))) === 1;
    } catch {
      return false;
    }
  }

  /**
   * Whether a quiet log is gone, or orphaned: generating, but not written for `staleMs` (its
   * instance died, or lost Redis). An orphaned one is marked `stopped` here.
   */
  async orphaned(id: string, key: string): Promise<'gone' | 'stopped' | 'live'> {
    const found = Number(await this.#ask((r) => r.call('EVAL', orphanScript, 2, metaKey(id), key, this.#options.staleMs, this.bounds.maxAgeMs)));
    if (found === 1)
      this.#options.log(
        `Reply ${id}'s generation wrote nothing to ${this.where} for ${this.#options.staleMs / 1000} s: marked stopped, a resume continues it.`,
      );
    return found === -1 ? 'gone' : found === 1 ? 'stopped' : 'live';
  }

  /** A write of `entry`'s: a failure breaks the log. */
  #write(entry: RedisLogEntry, args: (string | number)[], written?: (reply: unknown) => void): void {
    if (this.#closed) return entry.break(new Problem(503, `The reply log on ${this.where} was closed.`));
    this.#enqueue(args, (error, reply) => (error ? entry.break(this.wentAway(error)) : written?.(reply)));
  }

  #enqueue(args: (string | number)[], done: Queued['done']): void {
    this.#batch.push({ args, done });
    if (this.#flushing || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  /** Sends the batch as one pipeline; the next batch waits for its answer (and grows meanwhile). */
  #flush(): void {
    this.#scheduled = false;
    if (this.#flushing || this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#stats.pipelines++;
    this.#stats.roundTrips++;
    this.#stats.commands += batch.length;
    const pipeline = this.#cmd.pipeline();
    for (const { args } of batch) pipeline.call(String(args[0]), ...args.slice(1));
    this.#flushing = pipeline
      .exec()
      .then(
        (results) => {
          batch.forEach(({ done }, i) => {
            const [error, reply] = results?.[i] ?? [new Error('no answer')];
            done(error, reply);
          });
        },
        (error: Error) => {
          for (const { done } of batch) done(error, undefined);
        },
      )
      // A bug in a callback: say so, and keep writing.
      .catch((error: unknown) => console.error(error))
      .finally(() => {
        this.#flushing = undefined;
        this.#flush();
      });
  }

  /** The command connection closed: what was being written may be lost, so every log generated here is broken. */
  #lost(): void {
    if (!this.#closed && !this.#down) this.#options.log(`${this.where} went away; trying again every ${this.#options.reconnectMs} ms.`);
    if (!this.#closed) this.#down = true;
    const error = this.wentAway(new Error('the connection closed'));
    for (const entry of [...this.#local.values()]) entry.break(error);
  }
}

interface Queued {
  args: (string | number)[];
  done(error: Error | null, reply: unknown): void;
}

class RedisLogEntry implements ReplyLogEntry {
  readonly id: string;
  readonly gen: number;
  readonly start: number;
  readonly of: number;
  readonly metaKey: string;
  /** This generation's stream. */
  readonly key: string;
  /** When the keys' expiry was last pushed out (while generating here). */
  refreshedAt: number;
  readonly #log: RedisReplyLog;
  #end: number;
  #state: LogState;
  #broken: Error | undefined;
  readonly #readers = new Set<RedisLogReader>();
  readonly #gone = new Set<() => void>();

  constructor(log: RedisReplyLog, { id, gen, start, of, end, state }: { id: string; gen: number; start: number; of: number; end: number; state: LogState }) {
    this.#log = log;
    this.id = id;
    this.gen = gen;
    this.start = start;
    this.of = of;
    this.metaKey = metaKey(id);
    this.key = `${this.metaKey}:${gen}`;
    this.#end = end;
    this.#state = state;
    this.refreshedAt = performance.now();
  }

  get end(): number {
    return this.#end;
  }

  get state(): LogState {
    return this.#state;
  }

  get readers(): number {
    return this.#readers.size;
  }

  get broken(): Error | undefined {
    return this.#broken;
  }

  get log(): RedisReplyLog {
    return this.#log;
  }

  append(text: string): void {
    if (this.#state !== 'generating') throw new Error(`Reply log ${this.id}: append to a ${this.#state} log`);
    if (this.#broken) return;
    this.#log.append(this, this.#end++, text);
  }

  resume(): void {
    this.#state = 'generating';
    this.#log.resume(this);
  }

  finish(state: Exclude<LogState, 'generating'>): void {
    this.#state = state;
    if (!this.#broken) this.#log.finish(this, state);
  }

  break(error: Error): void {
    if (this.#broken) return;
    this.#broken = error;
    this.#log.broke(this, error);
  }

  read(offset: number): LogReader {
    const reader = new RedisLogReader(this, Math.max(offset, this.start), (r) => this.#leave(r));
    this.#readers.add(reader);
    return reader;
  }

  onReadersGone(listener: () => void): () => void {
    this.#gone.add(listener);
    return () => this.#gone.delete(listener);
  }

  async snapshot(): Promise<LogSnapshot> {
    const [items] = (await this.#log.pipelined([['XRANGE', this.key, '-', '+']])) as [RawEntry[]];
    const parsed = parseEntries(items);
    const tokens = parsed.flatMap((item) => (item.kind === 'token' ? [{ index: item.index, text: item.text }] : []));
    const end = parsed.find((item) => item.kind === 'end');
    return { id: this.id, start: this.start, tokens, state: end?.kind === 'end' ? end.state : 'generating', of: this.of };
  }

  #leave(reader: RedisLogReader): void {
    if (!this.#readers.delete(reader) || this.#readers.size > 0) return;
    for (const listener of [...this.#gone]) listener();
  }
}

type Item = { kind: 'token'; id: string; index: number; text: string } | { kind: 'end'; id: string; end: number; state: Exclude<LogState, 'generating'> };

/** Tokens and the end entry of a stream's entries (the beginning entry says nothing to a reader). */
function parseEntries(entries: RawEntry[]): Item[] {
  const items: Item[] = [];
  for (const [id, fields] of entries) {
    const [ms = '0', seq = '0'] = id.split('-');
    const field = fields[0];
    const value = fields[1] ?? '';
    if (field === 't' && seq === '0') items.push({ kind: 'token', id, index: Number(ms) - 1, text: value });
    else if (field === 's') items.push({ kind: 'end', id, end: Number(ms), state: value as Exclude<LogState, 'generating'> });
  }
  return items;
}

/**
 * The id of a log's end entry: `<end>-1`, after the last token's `<end>-0`. A log that ends at 0
 * (before its first token, e.g. `fail=0`) has only its beginning entry `0-1`: its end is `0-2`.
 */
function endId(end: number): string {
  return end === 0 ? '0-2' : `${end}-1`;
}

/** Compares two stream entry ids `<ms>-<seq>`. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

/** The first id after `id`. */
function nextId(id: string): string {
  const [ms = '0', seq = '0'] = id.split('-');
  return `${ms}-${Number(seq) + 1}`;
}

/**
 * One reader: XRANGE from its offset what is held (again, until it has caught up with the
 * tail), then the tail's entries as they come. Tokens it already has are skipped, so one that
 * arrives both ways is yielded once.
 */
class RedisLogReader implements LogReader {
  readonly #entry: RedisLogEntry;
  readonly #leave: (reader: RedisLogReader) => void;
  #position: number;
  /** Everything up to this entry id has been fetched (XRANGE) into the queue. */
  #afterId: string;
  #queue: Item[] = [];
  #tail: Tail | undefined;
  #fetching = false;
  #ended = false;
  #left = false;
  #stopped = false;
  #error: Error | undefined;
  #pending: { resolve: (result: IteratorResult<LoggedToken>) => void; reject: (error: Error) => void } | undefined;

  constructor(entry: RedisLogEntry, offset: number, leave: (reader: RedisLogReader) => void) {
    this.#entry = entry;
    this.#position = offset;
    this.#afterId = `${offset}-0`;
    this.#leave = leave;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  get position(): number {
    return this.#position;
  }

  next(): Promise<IteratorResult<LoggedToken>> {
    if (this.#stopped) return Promise.resolve(done());
    if (this.#pending) return Promise.reject(new Error('LogReader: next() called before the previous token arrived'));
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#pump();
    });
  }

  return(): Promise<IteratorResult<LoggedToken>> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#settle(done());
      this.#part();
    }
    return Promise.resolve(done());
  }

  /** Entries from the tail. */
  push(items: Item[]): void {
    this.#queue.push(...items);
    this.#pump();
  }

  /** The tail failed (Redis went away, the log is gone). */
  fail(error: Error): void {
    this.#tail = undefined;
    this.#error ??= error;
    this.#pump();
  }

  /** Answers a pending next() from the queue, or starts what will fill it. */
  #pump(): void {
    if (!this.#pending) return;
    if (this.#stopped) return this.#settle(done());
    while (this.#queue.length > 0) {
      const item = this.#queue[0]!;
      if (item.kind === 'token' && item.index < this.#position) {
        this.#queue.shift();
        continue;
      }
      if (item.kind === 'token' && item.index === this.#position) {
        this.#queue.shift();
        this.#position++;
        return this.#settle({ done: false, value: { index: item.index, text: item.text } });
      }
      if (item.kind === 'end' && item.end <= this.#position) {
        this.#stopped = true;
        this.#part();
        // A shared log stops only when the instance generating it went away: the reply is not
        // over, so the response must not say it is (a resume continues the log).
        if (item.state === 'stopped' && this.#position < this.#entry.of)
          return this.#settle(undefined, this.#entry.log.orphanedAt(this.#entry.id, this.#position));
        return this.#settle(done());
      }
      // A gap (never expected: the tail joins where the XRANGE ended): read it again from Redis.
      this.#queue = [];
      this.#afterId = `${this.#position}-0`;
      this.#tail?.leave(this);
      this.#tail = undefined;
      this.#ended = false;
    }
    const error = this.#error ?? this.#entry.broken;
    if (error) {
      this.#stopped = true;
      this.#part();
      return this.#settle(undefined, error);
    }
    if (!this.#tail && !this.#fetching && !this.#ended) this.#fetch();
  }

  /**
   * XRANGE after `#afterId`, and the stream's newest entry (none: the log is gone, not to be
   * waited for); then joins the tail.
   */
  #fetch(): void {
    this.#fetching = true;
    const log = this.#entry.log;
    const key = this.#entry.key;
    const count = 1000;
    log
      .pipelined([
        ['XRANGE', key, nextId(this.#afterId), '+', 'COUNT', count],
        ['XREVRANGE', key, '+', '-', 'COUNT', 1],
      ])
      .then(
        ([entries, newest]) => {
          this.#fetching = false;
          if (this.#stopped) return;
          const last = (newest as RawEntry[])[0]?.[0];
          if (last === undefined) return this.fail(log.gone(this.#entry.id));
          const raw = entries as RawEntry[];
          const items = parseEntries(raw);
          this.#queue.push(...items);
          if (raw.length > 0) this.#afterId = raw.at(-1)![0];
          if (items.some((item) => item.kind === 'end')) this.#ended = true;
          else if (raw.length < count) {
            // A reader ahead of the log (a resume from further than it got) follows from its
            // newest entry: a tail never reads after an id the stream has not reached.
            this.#tail = log.follow(this.#entry.id, key, compareIds(this.#afterId, last) > 0 ? last : this.#afterId, this);
          }
          this.#pump();
        },
        (error: unknown) => {
          this.#fetching = false;
          this.fail(log.wentAway(error));
        },
      );
  }

  #settle(result: IteratorResult<LoggedToken> | undefined, error?: Error): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending) return;
    if (error) pending.reject(error);
    else pending.resolve(result!);
  }

  /** Leaves the tail and the log's readers (once). */
  #part(): void {
    if (this.#left) return;
    this.#left = true;
    this.#tail?.leave(this);
    this.#tail = undefined;
    this.#queue = [];
    this.#leave(this);
  }
}

/**
 * The followers of one log in this process: its stream is one of those the process's blocking
 * connection reads (`TailMux`), and each batch of entries is fanned out to every reader. Ends with
 * the log, or when its last reader leaves, or fails them all when Redis does.
 */
class Tail implements MuxedStream {
  readonly id: string;
  readonly key: string;
  /** The tail reads entries after this id. */
  lastId: string;
  readonly readers = new Set<RedisLogReader>();
  readonly #log: RedisReplyLog;
  readonly #mux: TailMux;
  #stopped = false;

  constructor(log: RedisReplyLog, id: string, key: string, lastId: string, mux: TailMux) {
    this.#log = log;
    this.id = id;
    this.key = key;
    this.lastId = lastId;
    this.#mux = mux;
  }

  start(): void {
    this.#mux.add(this);
  }

  leave(reader: RedisLogReader): void {
    if (this.readers.delete(reader) && this.readers.size === 0) this.#stop();
  }

  fail(error: unknown): void {
    const readers = [...this.readers];
    this.readers.clear();
    this.#stop();
    const failure = this.#log.wentAway(error);
    for (const reader of readers) reader.fail(failure);
  }

  deliver(entries: RawEntry[]): void {
    if (this.#stopped) return;
    this.lastId = entries.at(-1)![0];
    const items = parseEntries(entries);
    const ended = items.some((item) => item.kind === 'end');
    if (ended) this.#stop();
    for (const reader of [...this.readers]) reader.push(items);
    if (ended) this.readers.clear();
  }

  /** Quiet for blockMs: is the log still there, and is its generation still writing? (Marked stopped: the next read brings the end entry.) */
  quiet(): void {
    this.#log.orphaned(this.id, this.key).then(
      (found) => {
        if (found === 'gone' && !this.#stopped) this.fail(this.#log.gone(this.id));
      },
      (error: unknown) => {
        if (!this.#stopped) this.fail(error);
      },
    );
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#log.tailEnded(this);
    this.#mux.remove(this);
  }
}

function metaKey(id: string): string {
  return `${redisKeyPrefix}${id}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function done(): IteratorReturnResult<undefined> {
  return { done: true, value: undefined };
}

/** A new generation: bumps `gen`, writes the meta, opens its stream with the beginning entry. Returns `gen`. */
const createScript = `
local gen = redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('HSET', KEYS[1], 'start', ARGV[1], 'of', ARGV[2], 'state', 'generating', 'live', ARGV[3])
local key = KEYS[1] .. ':' .. gen
redis.call('DEL', key)
redis.call('XADD', key, '0-1', 'b', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', key, ARGV[3])
return gen`;

/** The meta and the id of the newest entry of the current generation's stream; nil if either is gone. */
const getScript = `
local m = redis.call('HMGET', KEYS[1], 'gen', 'start', 'of', 'state')
if not m[1] then return false end
local last = redis.call('XREVRANGE', KEYS[1] .. ':' .. m[1], '+', '-', 'COUNT', 1)
if not last[1] then return false end
return {m[1], m[2], m[3], m[4], last[1][1]}`;

/** The end entry; the meta's state and expiry only if this is still the current generation. */
const finishScript = `
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('the log is gone (expired, or Redis lost it)') end
redis.call('XADD', KEYS[2], ARGV[3], 's', ARGV[2])
if redis.call('HGET', KEYS[1], 'gen') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1`;

/**
 * A quiet log: -1 if gone; 1 if it was generating but not written for ARGV[1] ms (its stream's
 * expiry, pushed out to the meta's \`live\` with each write, says when it was last written),
 * now marked stopped; else 0.
 */
const orphanScript = `
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if not last[1] then return -1 end
local id = last[1][1]
local ms, seq = string.match(id, '^(%d+)-(%d+)$')
if seq ~= '0' and id ~= '0-1' then return 0 end
local live = tonumber(redis.call('HGET', KEYS[1], 'live') or '0')
local pttl = redis.call('PTTL', KEYS[2])
if live == 0 or pttl < 0 or live - pttl <= tonumber(ARGV[1]) then return 0 end
local endId = ms .. '-1'
if id == '0-1' then
  local start = redis.call('HGET', KEYS[1], 'start') or '0'
  endId = start == '0' and '0-2' or (start .. '-1')
end
redis.call('XADD', KEYS[2], endId, 's', 'stopped')
if redis.call('HGET', KEYS[1], 'gen') == string.match(KEYS[2], ':(%d+)$') then
  redis.call('HSET', KEYS[1], 'state', 'stopped')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

/** A stopped log continues: its end entry goes, and it is generating again. */
const resumeScript = `
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('the log is gone (expired, or Redis lost it)') end
redis.call('XDEL', KEYS[2], ARGV[2])
if redis.call('HGET', KEYS[1], 'gen') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', 'generating')
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;
