import { createHash } from 'node:crypto';
import { failsAt, paced, type Reply } from '../model/reply.ts';
import { settingsQuery } from '../model/settings.ts';
import { MemoryReplyLog } from './memoryReplyLog.ts';
import type { LogReader, ReplyLog, ReplyLogEntry } from './replyLog.ts';

/** Which kind of response reads a reply: part of its id, so the lanes of one race keep apart. */
export type ReplyKind = 'sse' | 'http' | 'ws' | 'openai' | 'anthropic' | 'cached';

/**
 * A reply's id: its kind and a hash of its settings (run included). The simulated model at these
 * settings always says the same tokens, so the id is the same on every run and every instance,
 * and the response bytes stay "same settings, same bytes". A newer generation with the same id
 * replaces the older log under that id (it holds the same tokens).
 */
export function replyId(kind: ReplyKind, reply: Reply): string {
  const hash = createHash('sha256').update(settingsQuery(reply.settings)).digest('base64url').slice(0, 16);
  // A reply sampled at random is its own: its id names the draw, and varies like its words.
  return reply.sample === undefined ? `${kind}-${hash}` : `${kind}-${hash}-${reply.sample.toString(36)}`;
}

/** A response's view of a reply: its id and a reader of its log from the response's offset. */
export interface ReplyReading {
  id: string;
  reader: LogReader;
}

/**
 * Generations and their readers. A response opens a reading; the rule for generations:
 * - a response from token 0 starts a new generation into a new log;
 * - a resume (from > 0) reads the log of its id from its offset if that log holds the offset (or
 *   is generating towards it); a log that stopped early is continued from its end by a new
 *   generation; a log that is gone, or begins after the offset, is replaced by a new generation
 *   from the offset (the deterministic model rebuilds it: today's resume);
 * - a generation stops when the last reader of its log leaves before the end (a client closed,
 *   a cut, `max_tokens`, a stop): one reader keeps today's behaviour, `generation` tap events
 *   included. The log then says `stopped`, and a resume may continue it.
 */
export class Replies {
  readonly log: ReplyLog;
  /** The reply each log's generation says, so a continuation says the same words (a sampled reply would not). */
  readonly #replies = new WeakMap<ReplyLogEntry, Reply>();

  constructor(log: ReplyLog = new MemoryReplyLog()) {
    this.log = log;
  }

  open(kind: ReplyKind, reply: Reply, from = 0): ReplyReading {
    const id = replyId(kind, reply);
    const held = from > 0 ? this.log.get(id) : undefined;
    if (held && held.start <= from && (held.state !== 'stopped' || held.end >= from)) {
      const reader = held.read(from);
      if (held.state === 'stopped') {
        held.resume();
        generate(held, this.#replies.get(held) ?? reply, held.end);
      }
      return { id, reader };
    }
    const log = this.log.create(id, from, reply.tokens.length);
    this.#replies.set(log, reply);
    // The reader first, so the generation never sees a log without one.
    const reader = log.read(from);
    generate(log, reply, from);
    return { id, reader };
  }
}

/**
 * Appends the reply's paced tokens from `from` to `log` until the reply ends, the model fails, or
 * the last reader leaves (then the pacing timer stops at once and the log says `stopped`).
 */
function generate(log: ReplyLogEntry, reply: Reply, from: number): void {
  const tokens = paced(reply, from);
  const off = log.onReadersGone(() => void tokens.return());
  void (async () => {
    for await (const token of tokens) log.append(token.text);
    off();
    const end = tokens.position;
    const fail = failsAt(reply);
    log.finish(end >= reply.tokens.length ? 'done' : fail !== null && end >= fail ? 'failed' : 'stopped');
  })();
}
