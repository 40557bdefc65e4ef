/**
 * The reply log: a generation appends a reply's tokens under its reply id; every response is a
 * reader that starts at an offset and follows the log at the pace tokens arrive. One interface,
 * so a shared backend (Redis Streams: XADD per token, XRANGE from the offset, then XREAD BLOCK)
 * can stand in for the in-memory one (`memoryReplyLog.ts`) without the transports noticing.
 */

/** One token in a log: its index in the reply and its text. */
export interface LoggedToken {
  index: number;
  text: string;
}

/**
 * Where a log stands:
 * - `generating`: a generation is appending to it;
 * - `stopped`: the generation stopped early (its last reader left) and nobody is appending: a
 *   resume may continue it with a new generation from its end;
 * - `done`: every token is in; `failed`: the model failed after the tokens that are in.
 */
export type LogState = 'generating' | 'stopped' | 'done' | 'failed';

/** A log as `GET /api/replies/:id` answers it. */
export interface LogSnapshot {
  id: string;
  /** Index of its first token: a log begun by a resume starts past 0. */
  start: number;
  tokens: LoggedToken[];
  state: LogState;
  /** Tokens the whole reply has (when the generation knows it). */
  of: number;
}

/** One reply's log, as a generation writes it and readers follow it. */
export interface ReplyLogEntry {
  readonly id: string;
  /** Index of the first token held. */
  readonly start: number;
  /** Index the next appended token gets: `start` + tokens held. */
  readonly end: number;
  readonly state: LogState;
  /** Readers following it now (the generation stops when the last one leaves early). */
  readonly readers: number;
  /** Adds the next token (index `end`); the log must be `generating`. */
  append(text: string): void;
  /** Marks the log generating again: a resume continues a stopped log from its end. */
  resume(): void;
  /** Ends the log: `done`, `failed` (the model failed) or `stopped` (no reader is left). */
  finish(state: Exclude<LogState, 'generating'>): void;
  /**
   * Set when the log can no longer be written or read (its store went away): readers end with
   * this error, and the generation stops. The message names what happened.
   */
  readonly broken?: Error;
  /**
   * Tokens from `offset` on, as they arrive: yields what is held at once, then waits for each
   * append, and ends when the log leaves `generating` and everything is read. `return()` (a
   * `for await` that breaks) stops waiting at once and leaves no timer or listener behind.
   */
  read(offset: number): LogReader;
  /** Calls `listener` each time the last reader leaves (the generation's cue to stop early). Returns an unsubscribe. */
  onReadersGone(listener: () => void): () => void;
  snapshot(): Promise<LogSnapshot>;
}

/** A follower of one log. `position` is the index of the next token it would yield. */
export interface LogReader extends AsyncIterableIterator<LoggedToken> {
  readonly position: number;
  /** Stops following: resolves a pending `next()` as done and leaves the log's readers. */
  return(): Promise<IteratorResult<LoggedToken>>;
}

/**
 * The logs of one server (or of several, when the store is shared), keyed by reply id; bounded in
 * count and age. Lookups are asynchronous: a shared store answers over the network.
 */
export interface ReplyLog {
  /** A new, empty log (its generation starts at `start`); replaces an older log of the same id. */
  create(id: string, start: number, of: number): Promise<ReplyLogEntry>;
  /** The log of `id`, if it is held and has not expired. */
  get(id: string): Promise<ReplyLogEntry | undefined>;
  /**
   * Whether other instances read these logs too. A shared log's generations run to their end
   * even when every reader here has left: a resume may come to another instance and read on.
   * An instance's own log stops generating when its last reader leaves (nobody else could read).
   */
  readonly shared: boolean;
  /** Where the logs are kept, in words for the page and the terminal ("in memory", "Redis at …"). */
  readonly where: string;
  /** How many logs are kept, and how long after their end. */
  readonly bounds: ReplyLogBounds;
  /** Lets go of the store's connections (a shared store); the in-memory log has none. */
  close(): Promise<void>;
}

/** The bounds of a log store: how many logs and for how long a finished one is kept. */
export interface ReplyLogBounds {
  /** Logs kept at most; past it the oldest finished one goes. @default 1000 */
  maxLogs: number;
  /** ms a finished log (done, failed, stopped) is kept after its last token. @default 600000 (10 min) */
  maxAgeMs: number;
  /**
   * Tokens held in all logs at most; past it the oldest logs go. 1000 logs of the longest text
   * (20,000 characters) would hold millions of tokens: this is the bound on memory. @default 200000
   */
  maxTokens: number;
}

export const defaultReplyLogBounds: ReplyLogBounds = { maxLogs: 1000, maxAgeMs: 10 * 60_000, maxTokens: 200_000 };
