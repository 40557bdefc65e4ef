import { Problem } from '../problem.ts';

/**
 * Caps the streams one client address holds open at once, so one tab in a loop (or one student)
 * cannot starve a classroom. Over the cap a stream request is answered 429.
 */
export class StreamLimiter {
  readonly max: number;
  readonly #open = new Map<string, number>();

  constructor(max: number) {
    this.max = max;
  }

  /** Counts a stream for `address`; call the returned function exactly when it ends. */
  acquire(address: string | undefined): () => void {
    const key = address ?? '';
    const count = this.#open.get(key) ?? 0;
    if (count >= this.max) {
      throw new Problem(429, `This client already has ${count} streams open; the limit is ${this.max} (STREAMSCOPE_MAX_STREAMS). Close some and try again.`);
    }
    this.#open.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left === 0) this.#open.delete(key);
      else this.#open.set(key, left);
    };
  }

  /** Open streams in all (tests read it to prove nothing leaks). */
  get open(): number {
    let total = 0;
    for (const n of this.#open.values()) total += n;
    return total;
  }
}
