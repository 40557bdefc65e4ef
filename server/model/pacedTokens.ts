import { TokenClock, tokenClock } from './tokenClock.ts';

/** One token as the model emits it. */
export interface Token {
  index: number;
  text: string;
  /** When it was due, in ms after the start of the reply (from the schedule). */
  due: number;
}

/**
 * Emits `tokens[from…]` at the times `due[i]` says, as an async iterator that stops the moment
 * its consumer stops: `return()` (a `for await` that breaks, a transport whose client went away)
 * clears the pending timer at once, where an async generator would sit out its current sleep.
 *
 * When resuming at `from > 0` the thinking is over: token `from` comes one gap after `from - 1`.
 * Timers aim at absolute targets, so a slow consumer catches up instead of drifting. They are
 * wake-ups on one `TokenClock` shared by every stream of the process (`tokenClock.ts`: tokens due
 * together leave together), or on a clock of its own when given its own `now` (tests).
 */
export class PacedTokens implements AsyncIterableIterator<Token> {
  readonly #tokens: readonly string[];
  readonly #due: readonly number[];
  readonly #origin: number;
  readonly #now: () => number;
  #next: number;
  #start: number | undefined;
  readonly #clock: TokenClock;
  /** Cancels the pending wake-up. */
  #timer: (() => void) | undefined;
  #pending: ((result: IteratorResult<Token>) => void) | undefined;
  #stopped = false;

  constructor(tokens: readonly string[], due: readonly number[], from = 0, now?: () => number) {
    this.#tokens = tokens;
    this.#due = due;
    this.#next = from;
    this.#origin = from > 0 ? (due[from - 1] ?? 0) : 0;
    this.#clock = now ? new TokenClock(now) : tokenClock;
    this.#now = now ?? (() => performance.now());
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Index of the next token: how far generation got (tokens `from…position - 1` were emitted). */
  get position(): number {
    return this.#next;
  }

  /** True while a timer is pending (tests use it to prove nothing is left behind). */
  get waiting(): boolean {
    return this.#timer !== undefined;
  }

  next(): Promise<IteratorResult<Token>> {
    const index = this.#next;
    const text = this.#tokens[index];
    if (this.#stopped || text === undefined) return Promise.resolve(done());
    if (this.#pending) return Promise.reject(new Error('PacedTokens: next() called before the previous token arrived'));
    this.#start ??= this.#now();
    const due = this.#due[index] ?? 0;
    const at = this.#start + due - this.#origin;
    return new Promise((resolve) => {
      this.#pending = resolve;
      this.#timer = this.#clock.at(at, () => {
        this.#timer = undefined;
        this.#pending = undefined;
        this.#next = index + 1;
        resolve({ done: false, value: { index, text, due } });
      });
    });
  }

  return(): Promise<IteratorResult<Token>> {
    this.#stopped = true;
    this.#timer?.();
    this.#timer = undefined;
    this.#pending?.(done());
    this.#pending = undefined;
    return Promise.resolve(done());
  }
}

function done(): IteratorReturnResult<undefined> {
  return { done: true, value: undefined };
}
