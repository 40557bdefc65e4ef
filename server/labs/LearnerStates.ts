import { anonymousLearner } from './learner.ts';

export interface LearnerStatesOptions<T> {
  /** A learner's state before it changed anything. */
  create: (learner: string) => T;
  /**
   * Learners kept besides the anonymous one; past it the least recently used goes (its next
   * request starts from the defaults again). A hall of 2,000 fits. @default 5000
   */
  max?: number;
  /** Whether a state may go when the store is full (one with open connections rather not). @default always */
  evictable?: (state: T) => boolean;
}

/** How many of the oldest states eviction looks through for an evictable one before taking the oldest. */
const evictionScan = 64;

/**
 * Per-learner lab state, bounded in memory with no timer: a `Map` in least-recently-used order
 * (a touched entry moves to the end), trimmed as new learners arrive. The anonymous learner's
 * state is kept apart and never evicted.
 */
export class LearnerStates<T> {
  readonly #create: (learner: string) => T;
  readonly #max: number;
  readonly #evictable: (state: T) => boolean;
  readonly #states = new Map<string, T>();
  readonly anonymous: T;

  constructor({ create, max = 5000, evictable = () => true }: LearnerStatesOptions<T>) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer; got ${max}.`);
    this.#create = create;
    this.#max = max;
    this.#evictable = evictable;
    this.anonymous = create(anonymousLearner);
  }

  /** Learners with a state of their own (the anonymous one not counted). */
  get size(): number {
    return this.#states.size;
  }

  /** The learner's state, made on first use: for a change. */
  get(learner: string): T {
    if (learner === anonymousLearner) return this.anonymous;
    let state = this.#states.get(learner);
    if (state !== undefined) {
      this.#states.delete(learner);
    } else {
      state = this.#create(learner);
      if (this.#states.size >= this.#max) this.#evict();
    }
    this.#states.set(learner, state);
    return state;
  }

  /** The learner's state if it has one, for a read: reading makes none and moves nothing. */
  peek(learner: string): T | undefined {
    return learner === anonymousLearner ? this.anonymous : this.#states.get(learner);
  }

  /** Every state kept, the anonymous one first. */
  *values(): IterableIterator<T> {
    yield this.anonymous;
    yield* this.#states.values();
  }

  #evict(): void {
    let scanned = 0;
    for (const [learner, state] of this.#states) {
      if (this.#evictable(state)) return void this.#states.delete(learner);
      if (++scanned >= evictionScan) break;
    }
    // All of the oldest are busy: the oldest goes anyway, or the store would grow without bound.
    const oldest = this.#states.keys().next();
    if (!oldest.done) this.#states.delete(oldest.value);
  }
}
