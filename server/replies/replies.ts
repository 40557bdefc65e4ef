import { createHash } from 'node:crypto';
import { failsAt, paced, replyFor, type Reply } from '../model/reply.ts';
import { settingsQuery } from '../model/settings.ts';
import { MemoryReplyLog } from './memoryReplyLog.ts';
import type { LogReader, ReplyLog, ReplyLogEntry } from './replyLog.ts';

/** Which kind of response reads a reply: part of its id, so the lanes of one race keep apart. */
export type ReplyKind = 'sse' | 'http' | 'ws' | 'openai' | 'anthropic' | 'cached';

/**
 * A reply's id: its kind and a hash of its settings (run included) and of the route that asked
 * for it (two lanes of one run, say `/api/stream/sse` and the faults lab's, are two replies). The
 * simulated model at these settings always says the same tokens, so the id is the same on every
 * run and every instance, and the response bytes stay "same settings, same bytes". A newer
 * generation with the same id replaces the older log under that id (it holds the same tokens).
 */
export function replyId(kind: ReplyKind, reply: Reply, route = ''): string {
  // An upstream model's reply is one request to the upstream, whichever lanes read it: its id
  // names only what the upstream is asked (model, message) and the run, so every lane of a run
  // reads one log, whatever pacing each lane sends (the upstream sets its own pace).
  if (reply.upstream) {
    const { model, text, prompt, run } = reply.settings;
    const asked = JSON.stringify([model, text ?? `prompt:${prompt}`, run]);
    return `upstream-${createHash('sha256').update(asked).digest('base64url').slice(0, 16)}`;
  }
  const hash = createHash('sha256')
    .update(`${route}?${settingsQuery(reply.settings)}`)
    .digest('base64url')
    .slice(0, 16);
  // A reply sampled at random is its own: its id names the draw, and varies like its words.
  return reply.sample === undefined ? `${kind}-${hash}` : `${kind}-${hash}-${reply.sample.toString(36)}`;
}

/** A response's view of a reply: its id, a reader of its log from the response's offset, and the reply it reads. */
export interface ReplyReading {
  id: string;
  reader: LogReader;
  /** The reply whose tokens the log holds (its summary and failure go in the response). */
  reply: Reply;
  /**
   * Set when a resume asked for a sampled reply this instance's log does not hold: a real model
   * cannot say the same words twice, so a new draw continues from the offset, and this says so.
   */
  seam?: string;
}

/**
 * One generation's tokens, as its source emits them: the simulated model's paced tokens, or an
 * upstream model's deltas as they arrive. `return()` stops it at once and leaves nothing behind
 * (the pacing timer, the upstream request). `position`: index of the next token.
 */
export interface Generation extends AsyncIterator<{ text: string }> {
  readonly position: number;
  return(): Promise<IteratorResult<{ text: string }>>;
}

/** Who asked for a generation: the run and client address its upstream connection is tapped under. */
export interface GenerationCause {
  remoteAddress?: string;
}

/**
 * Where generations come from. The default is the simulated model; the app adds the upstream
 * (`server/upstream/`) for replies of `upstream/<id>` models.
 */
export interface GenerationSource {
  /** Refuses a reply this source cannot generate (an unknown upstream model): a Problem that names the parameter. */
  check(reply: Reply): Promise<void>;
  /** The reply's tokens from `from` on. */
  generate(reply: Reply, from: number, cause: GenerationCause): Generation;
}

/** The simulated model, paced by the settings. */
export const simulatedSource: GenerationSource = {
  check: () => Promise.resolve(),
  generate: (reply, from) => paced(reply, from),
};

/**
 * Generations and their readers. A response opens a reading; the rule for generations:
 * - a response from token 0 starts a new generation into a new log;
 * - a resume (from > 0) reads the log of its id from its offset if that log holds the offset (or
 *   is generating towards it); a log that stopped early is continued from its end by a new
 *   generation when its words are known (this process generated them, or the model is
 *   deterministic); a log that is gone, or begins after the offset, is replaced by a new
 *   generation from the offset: the deterministic model rebuilds the same tokens, a sampled one
 *   draws new words (the seam a real service without a shared log shows);
 * - on an instance's own log a generation stops when the last reader leaves before the end (a
 *   client closed, a cut, `max_tokens`, a stop), and the log then says `stopped`; on a shared log
 *   it runs to its end, so a resume on any instance reads on. An upstream model's generation on a
 *   shared log runs on only `upstreamRunOnMs` after its last reader here left: long enough for a
 *   client to reconnect (to any instance) and read on, short enough that a client that is gone
 *   does not keep a paid model generating a reply nobody reads.
 */
export class Replies {
  readonly log: ReplyLog;
  /** The reply each log's generation says, so a continuation says the same words (a sampled reply would not). */
  readonly #replies = new WeakMap<ReplyLogEntry, Reply>();

  readonly #source: GenerationSource;

  readonly #upstreamRunOnMs: number;

  /**
   * @param upstreamRunOnMs On a shared log, ms an upstream model's generation runs on after its
   *   last reader in this instance left, before the upstream request is aborted. @default 30000
   */
  constructor(log: ReplyLog = new MemoryReplyLog(), source: GenerationSource = simulatedSource, { upstreamRunOnMs = 30_000 } = {}) {
    this.log = log;
    this.#source = source;
    this.#upstreamRunOnMs = upstreamRunOnMs;
  }

  /**
   * A reading of `reply` from token `from`. `draw` is the sampled reply a resume names (its
   * `Last-Event-ID`); absent, the reply is the one the settings say. `route`: the path that asked.
   */
  async open(
    kind: ReplyKind,
    reply: Reply,
    { from = 0, draw, route, cause = {} }: { from?: number; draw?: number; route?: string; cause?: GenerationCause } = {},
  ): Promise<ReplyReading> {
    await this.#source.check(reply);
    if (!reply.upstream || from > 0) return this.#open(kind, reply, { from, draw, route, cause });
    // Lanes of one run ask at once: one at a time per reply, so the second joins the first's log.
    const id = replyId(kind, reply, route);
    const previous = this.#opening.get(id);
    let opened!: () => void;
    const mine = new Promise<void>((resolve) => (opened = resolve));
    const chain = (previous ?? Promise.resolve()).then(() => mine);
    this.#opening.set(id, chain);
    await previous;
    try {
      return await this.#open(kind, reply, { from, draw, route, cause });
    } finally {
      opened();
      if (this.#opening.get(id) === chain) this.#opening.delete(id);
    }
  }

  /** Upstream replies being opened, by id (see `open`). */
  readonly #opening = new Map<string, Promise<void>>();

  async #open(
    kind: ReplyKind,
    reply: Reply,
    { from, draw, route, cause }: { from: number; draw?: number; route?: string; cause: GenerationCause },
  ): Promise<ReplyReading> {
    let seam: string | undefined;
    if (reply.upstream && from === 0) {
      // Every lane of a run reads the one upstream request: join its log while it is generating or held.
      const id = replyId(kind, reply, route);
      const held = await this.log.get(id);
      const known = held && this.#replies.get(held);
      // Without a run (curl), a finished reply is not replayed: the same question gets a new answer.
      const joinable = held?.state === 'generating' || (held?.state !== 'stopped' && reply.settings.run !== null);
      if (held && known && held.start === 0 && joinable) return { id, reader: held.read(0), reply: known };
    }
    if (from > 0) {
      const named = draw === undefined ? reply : replyFor(reply.settings, draw);
      const id = replyId(kind, named, route);
      const held = await this.log.get(id);
      const known = held && (this.#replies.get(held) ?? (named.sample === undefined && !named.upstream ? named : undefined));
      // An upstream reply cannot be continued (a new request says other words): only a held log is read on.
      if (held && held.start <= from && (held.state !== 'stopped' || (held.end >= from && known && !known.upstream))) {
        const reader = held.read(from);
        if (held.state === 'stopped' && known) {
          held.resume();
          this.#generate(held, known, held.end, cause);
        }
        return { id, reader, reply: known || named };
      }
      if (named.upstream) {
        seam = `Reply ${id} is not in this server's log (${this.log.where}), and a real model cannot say the same reply again: a new upstream request continues from token ${from}.`;
      } else if (named.sample !== undefined) {
        const where = held
          ? `stopped before token ${from} in this server's log (${this.log.where}), generated elsewhere`
          : `not in this server's log (${this.log.where})`;
        seam = `Reply ${id} is ${where}, and a sampled reply cannot be said again: a new draw continues from token ${from}.`;
      }
    }
    const id = replyId(kind, reply, route);
    const log = await this.log.create(id, from, reply.tokens.length);
    this.#replies.set(log, reply);
    // The reader first, so the generation never sees a log without one.
    const reader = log.read(from);
    this.#generate(log, reply, from, cause);
    return seam === undefined ? { id, reader, reply } : { id, reader, reply, seam };
  }

  /**
   * An upstream generation on a shared log: once no reader here has been reading for
   * `upstreamRunOnMs` (a reader that comes back in time keeps it going), the request is aborted.
   * Readers on other instances are not counted: a resume there reads on for that long.
   */
  #runOn(log: ReplyLogEntry, tokens: Generation): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const offGone = log.onReadersGone(() => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (log.readers === 0) void tokens.return();
      }, this.#upstreamRunOnMs);
    });
    return () => {
      clearTimeout(timer);
      offGone();
    };
  }

  /**
   * Appends the reply's paced tokens from `from` to `log` until the reply ends, the model fails,
   * or (on an own log) the last reader leaves: then the pacing timer stops at once and the log
   * says `stopped`. A log whose store broke stops it too.
   */
  #generate(log: ReplyLogEntry, reply: Reply, from: number, cause: GenerationCause): void {
    const tokens = this.#source.generate(reply, from, cause);
    const off = !this.log.shared ? log.onReadersGone(() => void tokens.return()) : reply.upstream ? this.#runOn(log, tokens) : () => {};
    void (async () => {
      for (let next = await tokens.next(); !next.done; next = await tokens.next()) {
        if (log.broken) break;
        log.append(next.value.text);
      }
      off();
      if (log.broken) return void tokens.return();
      const end = tokens.position;
      const fail = failsAt(reply);
      // An upstream reply's tokens are known only as they come: its own state says how it ended.
      const upstream = reply.upstream;
      if (upstream) log.finish(upstream.error ? 'failed' : upstream.finished ? 'done' : 'stopped');
      else log.finish(end >= reply.tokens.length ? 'done' : fail !== null && end >= fail ? 'failed' : 'stopped');
    })();
  }
}
