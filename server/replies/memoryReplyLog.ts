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

export interface MemoryReplyLogOptions extends Partial<ReplyLogBounds> {
  /**
   * Several instances of one process read it (the load-balancer lab's "shared" log when no Redis
   * is at hand): generations then run on when their readers leave. @default false
   */
  shared?: boolean;
}

/**
 * The reply logs of one process, in memory. Bounded without timers: expired logs are swept when
 * a log is created or looked up, and past `maxLogs` the oldest goes (its readers keep reading the
 * entry they hold; only lookups by id lose it).
 */
export class MemoryReplyLog implements ReplyLog {
  readonly #logs = new Map<string, MemoryLogEntry>();
  readonly bounds: ReplyLogBounds;
  readonly shared: boolean;
  readonly where = 'in memory';
  readonly #now: () => number;
  /** Tokens held in the logs of the map. */
  #tokens = 0;

  constructor({ shared = false, ...bounds }: MemoryReplyLogOptions = {}, now: () => number = () => performance.now()) {
    this.bounds = { ...defaultReplyLogBounds, ...bounds };
    this.shared = shared;
    this.#now = now;
  }

  async create(id: string, start: number, of: number): Promise<ReplyLogEntry> {
    return this.createNow(id, start, of);
  }

  /** `create`, without a turn of the event loop (the in-memory log needs none). */
  createNow(id: string, start: number, of: number): ReplyLogEntry {
    this.#sweep();
    this.#drop(id);
    while (this.#logs.size >= this.bounds.maxLogs) this.#drop(this.#logs.keys().next().value as string);
    const entry = new MemoryLogEntry(id, start, of, this.#now, () => {
      // Counted while the map holds it; past the bound the oldest other logs go.
      if (this.#logs.get(id) !== entry) return;
      this.#tokens++;
      for (const [other] of this.#logs) {
        if (this.#tokens <= this.bounds.maxTokens || other === id) break;
        this.#drop(other);
      }
    });
    this.#logs.set(id, entry);
    return entry;
  }

  async get(id: string): Promise<ReplyLogEntry | undefined> {
    return this.getNow(id);
  }

  /** `get`, without a turn of the event loop. */
  getNow(id: string): ReplyLogEntry | undefined {
    this.#sweep();
    return this.#logs.get(id);
  }

  async close(): Promise<void> {}

  get size(): number {
    this.#sweep();
    return this.#logs.size;
  }

  /** Tokens held in all logs (tests prove the bound). */
  get tokens(): number {
    return this.#tokens;
  }

  /** Drops finished logs older than `maxAgeMs`. */
  #sweep(): void {
    const oldest = this.#now() - this.bounds.maxAgeMs;
    for (const [id, entry] of this.#logs) if (entry.finishedAt !== undefined && entry.finishedAt <= oldest) this.#drop(id);
  }

  #drop(id: string): void {
    const entry = this.#logs.get(id);
    if (!entry) return;
    this.#logs.delete(id);
    this.#tokens -= entry.end - entry.start;
  }
}

class MemoryLogEntry implements ReplyLogEntry {
  readonly id: string;
  readonly start: number;
  readonly of: number;
  readonly #texts: string[] = [];
  #state: LogState = 'generating';
  /** When the log stopped changing (undefined while generating). */
  finishedAt: number | undefined;
  readonly #now: () => number;
  /** Readers waiting for the next append or the end. */
  readonly #waiting = new Set<() => void>();
  readonly #readers = new Set<MemoryLogReader>();
  readonly #gone = new Set<() => void>();
  readonly #appended: () => void;

  constructor(id: string, start: number, of: number, now: () => number, appended: () => void) {
    this.id = id;
    this.start = start;
    this.of = of;
    this.#now = now;
    this.#appended = appended;
  }

  get end(): number {
    return this.start + this.#texts.length;
  }

  get state(): LogState {
    return this.#state;
  }

  get readers(): number {
    return this.#readers.size;
  }

  append(text: string): void {
    if (this.#state !== 'generating') throw new Error(`Reply log ${this.id}: append to a ${this.#state} log`);
    this.#texts.push(text);
    this.#appended();
    this.#wake();
  }

  resume(): void {
    this.#state = 'generating';
    this.finishedAt = undefined;
  }

  finish(state: Exclude<LogState, 'generating'>): void {
    this.#state = state;
    this.finishedAt = this.#now();
    this.#wake();
  }

  /** Token `index`, if held. */
  tokenAt(index: number): LoggedToken | undefined {
    const text = this.#texts[index - this.start];
    return index >= this.start && text !== undefined ? { index, text } : undefined;
  }

  read(offset: number): LogReader {
    const reader = new MemoryLogReader(this, Math.max(offset, this.start), (r) => this.#leave(r));
    this.#readers.add(reader);
    return reader;
  }

  /** Calls `wake` on the next append or end (once). */
  wait(wake: () => void): () => void {
    this.#waiting.add(wake);
    return () => this.#waiting.delete(wake);
  }

  /** Calls `listener` each time the last reader leaves. */
  onReadersGone(listener: () => void): () => void {
    this.#gone.add(listener);
    return () => this.#gone.delete(listener);
  }

  async snapshot(): Promise<LogSnapshot> {
    return { id: this.id, start: this.start, tokens: this.#texts.map((text, i) => ({ index: this.start + i, text })), state: this.#state, of: this.of };
  }

  #wake(): void {
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const wake of waiting) wake();
  }

  #leave(reader: MemoryLogReader): void {
    if (!this.#readers.delete(reader) || this.#readers.size > 0) return;
    for (const listener of [...this.#gone]) listener();
  }
}

class MemoryLogReader implements LogReader {
  readonly #log: MemoryLogEntry;
  readonly #leave: (reader: MemoryLogReader) => void;
  #position: number;
  #stopped = false;
  #cancel: (() => void) | undefined;
  #pending: ((result: IteratorResult<LoggedToken>) => void) | undefined;

  constructor(log: MemoryLogEntry, offset: number, leave: (reader: MemoryLogReader) => void) {
    this.#log = log;
    this.#position = offset;
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
    const token = this.#log.tokenAt(this.#position);
    if (token) {
      this.#position++;
      return Promise.resolve({ done: false, value: token });
    }
    if (this.#log.state !== 'generating') return this.return();
    return new Promise((resolve) => {
      this.#pending = resolve;
      this.#cancel = this.#log.wait(() => {
        this.#pending = undefined;
        this.#cancel = undefined;
        resolve(this.next());
      });
    });
  }

  return(): Promise<IteratorResult<LoggedToken>> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#cancel?.();
      this.#cancel = undefined;
      this.#pending?.(done());
      this.#pending = undefined;
      this.#leave(this);
    }
    return Promise.resolve(done());
  }
}

function done(): IteratorReturnResult<undefined> {
  return { done: true, value: undefined };
}
