/**
 * One timer for every paced stream of a process. A `setTimeout` per token per stream fires each
 * token in a timer callback of its own, and Node runs the nextTick queue after every one: every
 * token then leaves in a system call of its own on its stream *and* on every tap reader's stream
 * (the capacity profile: a write per token per socket, twice). Here the tokens due at the same
 * moment (within `toleranceMs`, the resolution `setTimeout` has anyway) fire in one callback, so a
 * tap reader's events for all of them leave together, and a thousand streams keep one timer, not
 * a thousand. Each token's due time is unchanged: nothing fires before `at - toleranceMs`.
 */
export class TokenClock {
  readonly #now: () => number;
  readonly #toleranceMs: number;
  /** A binary min-heap of pending wake-ups by `at`. */
  readonly #heap: Wakeup[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer aims to fire. */
  #armedAt = Infinity;

  /**
   * @param now the clock `at` is read on. @default performance.now
   * @param toleranceMs wake-ups due this close after the one that fires go with it. @default 1
   */
  constructor(now: () => number = () => performance.now(), toleranceMs = 1) {
    this.#now = now;
    this.#toleranceMs = toleranceMs;
  }

  /** Wake-ups waiting (cancelled ones included until they reach the front; no timer waits for them). */
  get pending(): number {
    return this.#heap.length;
  }

  /** Calls `fire` at `at` (this clock's time); returns the way to cancel it. */
  at(at: number, fire: () => void): () => void {
    const wakeup: Wakeup = { at, fire };
    this.#push(wakeup);
    if (at < this.#armedAt) this.#arm();
    return () => {
      wakeup.fire = undefined;
      // The timer waits for a live wake-up only: a stream that stops holds no timer.
      if (this.#heap[0] === wakeup) this.#arm();
    };
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
    // Cancelled wake-ups at the top are dropped here; the others wait for their time.
    while (this.#heap.length > 0 && this.#heap[0]!.fire === undefined) this.#pop();
    const first = this.#heap[0];
    if (!first) return;
    this.#armedAt = first.at;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, first.at - this.#now()));
  }

  #tick(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const until = this.#now() + this.#toleranceMs;
    const due: (() => void)[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.at <= until) {
      const fire = this.#pop().fire;
      if (fire) due.push(fire);
    }
    // Fired in due order; a callback that asks for its next wake-up re-arms through `at`.
    for (const fire of due) fire();
    if (this.#timer === undefined) this.#arm();
  }

  #push(wakeup: Wakeup): void {
    const heap = this.#heap;
    heap.push(wakeup);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= wakeup.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = wakeup;
  }

  #pop(): Wakeup {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= last.at) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

interface Wakeup {
  at: number;
  /** Undefined once cancelled. */
  fire: (() => void) | undefined;
}

/** The process's clock for paced tokens on `performance.now()`. */
export const tokenClock = new TokenClock();
