/**
 * One class served by several processes (a hall): what `ClassBus` shares, kept in Redis.
 *
 * Layout, under `streamscope:class:`:
 * - `position`: the class position (JSON), and a pub/sub channel of the same name that carries
 *   each move to every process;
 * - `run`: the broadcast run's state (`RunState`, JSON), and `frames`: a stream of its events
 *   (fields `r` run, `i` index, `e` event, `d` data), trimmed to the current run when a new one
 *   starts. Every process mirrors the stream into its own `Broadcast` (one XREAD BLOCK loop, on a
 *   connection of its own), so a follower that joins late, on any process, gets the run so far;
 * - `followers` (hash) and `seen` (sorted set, by Redis's clock): each process's follower count
 *   and when it last said so; a process silent for `staleMs` (killed) no longer counts.
 *
 * A batch is decided in JavaScript (`decide`, the same rules as one process) and written with a
 * compare-and-set script: if another process changed the run meanwhile, it is decided again.
 *
 * Redis going away: followers keep their page and their streams (each process still holds the
 * run); moves and batches get a 503 meanwhile. When it is back, each process reads the position
 * again (putting its own back if Redis came back empty) and sends it to its followers, mirrors the
 * run's stream again from its start (events it holds are skipped; a move made as it came back,
 * which the subscriber may not have heard, is read again once it has subscribed), and the
 * presenter's next batch puts the run back into an empty Redis from the copy of the process it
 * reaches (a repeat too). If that process holds none of the run (it started after Redis lost it),
 * the batch is a 409 with `expected` 0: the presenter's page sends the run's batches again from
 * seq 0, the very same ones, and what followers already had is ignored.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { BroadcastBatch, BroadcastEventName } from '../../shared/broadcast.ts';
import type { ClassPosition } from '../../shared/follow.ts';
import { Problem } from '../problem.ts';
import { Broadcast, decide, type BroadcastFrame, type PublishResult, type RunState } from './broadcast.ts';
import type { ClassBus } from './classBus.ts';
import { connectionOptions, displayUrl, unreachable } from '../redis/redisConnection.ts';

/** Every key the class writes starts with this. */
export const classKeyPrefix = 'streamscope:class:';

const keys = {
  position: `${classKeyPrefix}position`,
  run: `${classKeyPrefix}run`,
  frames: `${classKeyPrefix}frames`,
  followers: `${classKeyPrefix}followers`,
  seen: `${classKeyPrefix}seen`,
};

/** A class's keys outlive a talk, not a week: 12 hours after the last write. */
const keepMs = 12 * 60 * 60 * 1000;

export interface RedisClassBusOptions {
  /** This process's copy of the run (its caps decide batches). @default a Broadcast with the default caps */
  broadcast?: Broadcast;
  /** ms one XREAD BLOCK of the run's stream waits before it asks again. @default 5000 */
  blockMs?: number;
  /** ms between attempts to reach Redis again after it went away. @default 500 */
  reconnectMs?: number;
  /** ms between reports of this process's follower count. @default 2000 */
  reportMs?: number;
  /** A process that has not reported for this long (killed) no longer counts. @default 3 × reportMs */
  staleMs?: number;
  /** Names this process's connections in Redis's CLIENT LIST (`streamscope:<name>:class`). @default none */
  name?: string;
  /** Where "Redis went away" and "is back" go. @default console.warn */
  log?: (line: string) => void;
}

export class RedisClassBus implements ClassBus {
  readonly where: string;
  readonly broadcast: Broadcast;
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #tail: Redis;
  readonly #id = randomBytes(6).toString('base64url');
  readonly #listeners = new Set<(position: ClassPosition) => void>();
  readonly #options: Required<Omit<RedisClassBusOptions, 'broadcast'>>;
  #position: ClassPosition | null = null;
  #here = 0;
  #others = 0;
  #reportTimer: NodeJS.Timeout | undefined;
  #reportSoon: NodeJS.Timeout | undefined;
  #down = false;
  #subDown = false;
  /** Moves heard on the channel: a position read while one came is older than it, or the same (each write is published too). */
  #messages = 0;
  #closed = false;
  #following: Promise<void> | undefined;

  private constructor(url: string, options: RedisClassBusOptions) {
    const { broadcast = new Broadcast(), blockMs = 5000, reconnectMs = 500, reportMs = 2000, name = '', log = (line: string) => console.warn(line) } = options;
    this.broadcast = broadcast;
    this.#options = { blockMs, reconnectMs, reportMs, staleMs: options.staleMs ?? 3 * reportMs, name, log };
    this.where = `Redis at ${displayUrl(url)}`;
    const connectionName = name ? `streamscope:${name}:class` : undefined;
    const make = (): Redis => {
      const redis = new Redis(url, { ...connectionOptions, connectionName, retryStrategy: () => reconnectMs });
      redis.on('error', () => {
        // Each failed command says why; an 'error' without a listener would be logged by ioredis.
      });
      return redis;
    };
    this.#cmd = make();
    this.#sub = make();
    this.#tail = make();
    this.#cmd.on('close', () => {
      if (!this.#closed && !this.#down)
        this.#options.log(`The class on ${this.where} went away; followers keep their page, trying again every ${reconnectMs} ms.`);
      if (!this.#closed) this.#down = true;
    });
    this.#cmd.on('ready', () => {
      if (!this.#down || this.#closed) return;
      this.#down = false;
      this.#options.log(`The class on ${this.where} is back.`);
      void this.#recover();
    });
    // The subscriber back: a move published before it subscribed again never reaches it, so the
    // position is read again once it has (and sent on if it changed).
    this.#sub.on('close', () => {
      if (!this.#closed) this.#subDown = true;
    });
    this.#sub.on('ready', () => {
      if (!this.#subDown || this.#closed) return;
      this.#subDown = false;
      void this.#resubscribed();
    });
    this.#sub.on('message', (_channel: string, message: string) => {
      this.#messages++;
      const position = parsePosition(message);
      if (position) this.#moved(position);
    });
  }

  /** Connects to Redis at `url`; rejects with an error naming it if it does not answer. */
  static async connect(url: string, options: RedisClassBusOptions = {}): Promise<RedisClassBus> {
    const bus = new RedisClassBus(url, options);
    try {
      await Promise.all([bus.#cmd.connect(), bus.#sub.connect(), bus.#tail.connect()]);
      await bus.#sub.subscribe(keys.position);
      const stored = parsePosition(await bus.#cmd.get(keys.position));
      if (stored) bus.#position = stored;
      await bus.#report();
    } catch (error) {
      for (const redis of [bus.#cmd, bus.#sub, bus.#tail]) redis.disconnect();
      throw unreachable(url, error);
    }
    bus.#reportTimer = setInterval(() => void bus.#report().catch(() => {}), bus.#options.reportMs);
    bus.#reportTimer.unref();
    bus.#following = bus.#follow();
    return bus;
  }

  get position(): ClassPosition | null {
    return this.#position;
  }

  async setPosition(position: ClassPosition): Promise<void> {
    const text = JSON.stringify(position);
    // Every process, this one too, moves its followers when the message comes round.
    await this.#ask(() => this.#cmd.multi().set(keys.position, text, 'PX', keepMs).publish(keys.position, text).exec());
  }

  onPosition(listener: (position: ClassPosition) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async publish(batch: BroadcastBatch): Promise<PublishResult> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const stored = await this.#ask(() => this.#cmd.get(keys.run));
      let state = parseState(stored);
      let held: BroadcastFrame[] = [];
      // Redis came back empty mid-run: this process's copy of the run goes back in first.
      const mine = this.broadcast.state;
      if (!state && mine && mine.id === batch.run) {
        state = mine;
        held = this.broadcast.frames;
      }
      const decision = decide(state, batch, this.broadcast);
      const repeat = 'result' in decision && decision.result === 'repeat';
      if (repeat && held.length === 0) return 'repeat';
      // A repeat (the presenter's page sending the run again from seq 0) still puts the run back:
      // else its next batch, reaching a process that did not keep the run, would find none.
      const next = 'state' in decision ? decision.state : state;
      const frames = [...held, ...('frames' in decision ? decision.frames : [])];
      if (frames.length > 0 || 'result' in decision) {
        const args = [stored ?? '', JSON.stringify(next), String(keepMs)];
        for (const frame of frames) args.push(frame.run, String(frame.index), frame.event, frame.data);
        const written = await this.#ask(() => this.#cmd.call('EVAL', publishScript, 2, keys.run, keys.frames, ...args));
        // Another process changed the run between the read and the write: decide again.
        if (Number(written) !== 1) continue;
      }
      if ('problem' in decision) throw decision.problem;
      return repeat ? 'repeat' : 'taken';
    }
    throw new Problem(503, `The class on ${this.where} is too busy to take the batch; send it again.`);
  }

  countHere(count: number): void {
    this.#here = count;
    if (this.#reportSoon || this.#closed) return;
    this.#reportSoon = setTimeout(() => {
      this.#reportSoon = undefined;
      void this.#report().catch(() => {});
    }, 100);
  }

  followers(here: number): number {
    return this.#others + here;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#reportTimer);
    clearTimeout(this.#reportSoon);
    this.#listeners.clear();
    // This process's followers no longer count.
    if (this.#cmd.status === 'ready')
      await this.#cmd
        .multi()
        .hdel(keys.followers, this.#id)
        .zrem(keys.seen, this.#id)
        .exec()
        .catch(() => {});
    this.#tail.disconnect();
    await this.#following;
    for (const redis of [this.#cmd, this.#sub]) {
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    }
  }

  #moved(position: ClassPosition): void {
    this.#position = position;
    for (const listener of [...this.#listeners]) listener(position);
  }

  /** Redis is back: the position again (ours, if it came back empty), sent to the followers here. */
  async #recover(): Promise<void> {
    try {
      const heard = this.#messages;
      const stored = parsePosition(
        (await this.#cmd.call('EVAL', recoverScript, 1, keys.position, this.#position ? JSON.stringify(this.#position) : '', keepMs)) as string | null,
      );
      // A move heard meanwhile is the newer (the reply on one connection, the move on the other, may come in either order).
      if (stored && this.#messages === heard) this.#moved(stored);
      await this.#report();
    } catch {
      // Gone again: the next 'ready' tries again.
    }
  }

  /** The subscriber is back: subscribed again, the position as Redis has it now, if it is not the one known here. */
  async #resubscribed(): Promise<void> {
    try {
      await this.#sub.subscribe(keys.position);
      const heard = this.#messages;
      const stored = parsePosition(await this.#cmd.get(keys.position));
      if (stored && this.#messages === heard && JSON.stringify(stored) !== JSON.stringify(this.#position)) this.#moved(stored);
    } catch {
      // Redis gone again, or the command connection not back yet: its own 'ready' reads the position.
    }
  }

  /** Says how many follow here; learns how many follow on the other processes. */
  async #report(): Promise<void> {
    if (this.#closed) return;
    const others = await this.#cmd.call('EVAL', reportScript, 2, keys.followers, keys.seen, this.#id, this.#here, this.#options.staleMs, keepMs);
    this.#others = Number(others);
  }

  /** Mirrors the run's stream into this process's Broadcast: all of it, then each new event; all again after a failure. */
  async #follow(): Promise<void> {
    let lastId: string | null = null;
    while (!this.#closed) {
      try {
        if (lastId === null) {
          const entries = (await this.#tail.call('XRANGE', keys.frames, '-', '+')) as RawEntry[];
          lastId = entries.at(-1)?.[0] ?? '0-0';
          if (!this.#apply(entries)) lastId = null;
          continue;
        }
        const reply = (await this.#tail.call('XREAD', 'COUNT', 1000, 'BLOCK', this.#options.blockMs, 'STREAMS', keys.frames, lastId)) as
          [string, RawEntry[]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        lastId = entries.at(-1)![0];
        // A gap (an event this process missed): read the run again from its start.
        if (!this.#apply(entries)) lastId = null;
      } catch {
        if (this.#closed) return;
        lastId = null;
        await sleep(this.#options.reconnectMs);
      }
    }
  }

  #apply(entries: RawEntry[]): boolean {
    let whole = true;
    for (const [, fields] of entries) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      if (f.r === undefined || f.i === undefined || f.e === undefined || f.d === undefined) continue;
      const frame: BroadcastFrame = { run: f.r, index: Number(f.i), event: f.e as BroadcastEventName, data: f.d };
      if (!this.broadcast.add(frame)) whole = false;
    }
    return whole;
  }

  async #ask<T>(send: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new Problem(503, `The class on ${this.where} was closed.`);
    try {
      return await send();
    } catch (error) {
      throw new Problem(503, `The class on ${this.where} is not answering: ${message(error)}. Followers keep their page; try again in a moment.`);
    }
  }
}

type RawEntry = [id: string, fields: string[]];

function parsePosition(text: string | null | undefined): ClassPosition | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as ClassPosition;
    return typeof value === 'object' && value !== null && typeof value.slug === 'string' ? value : null;
  } catch {
    return null;
  }
}

function parseState(text: string | null): RunState | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as RunState;
  } catch {
    return null;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Compare-and-set of the run: if its state is still ARGV[1] ('' for none), it becomes ARGV[2] and
 * the frames (ARGV[4…], four each: run, index, event, data) are added to the stream; a frame of
 * index 0 starts a run, and the stream is trimmed to it. 1 if written, 0 if the run had changed.
 */
const publishScript = `
local now = redis.call('GET', KEYS[1]) or ''
if now ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
for i = 4, #ARGV, 4 do
  local id = redis.call('XADD', KEYS[2], '*', 'r', ARGV[i], 'i', ARGV[i + 1], 'e', ARGV[i + 2], 'd', ARGV[i + 3])
  if ARGV[i + 1] == '0' then redis.call('XTRIM', KEYS[2], 'MINID', id) end
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

/** The position, or ARGV[1] put back if Redis came back without it (and ARGV[1] is not ''). */
const recoverScript = `
local now = redis.call('GET', KEYS[1])
if now then return now end
if ARGV[1] == '' then return false end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`;

/**
 * This process (ARGV[1]) has ARGV[2] followers, now (Redis's clock); processes silent for ARGV[3]
 * ms go. Returns how many follow on the others.
 */
const reportScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
for _, id in ipairs(stale) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local sum = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then sum = sum + tonumber(all[i + 1]) end
end
return sum`;
