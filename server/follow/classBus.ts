/**
 * What the processes serving one class share: where the class is (position, blank screen), how
 * many follow it, and the presenter's broadcast run. One interface, two homes: in this process
 * (`MemoryClassBus`, the default: nothing to install) and in Redis (`RedisClassBus`, with
 * `STREAMSCOPE_REDIS_URL`: several processes behind a load balancer serve one class, the presenter
 * on any of them, followers spread over all). The follow routes (`followRoutes.ts`) only talk to this.
 */
import type { BroadcastBatch } from '../../shared/broadcast.ts';
import type { ClassPosition } from '../../shared/follow.ts';
import { Broadcast, type PublishResult } from './broadcast.ts';

export interface ClassBus {
  /** Where the class is kept, in words for the terminal ("this process", "Redis at …"). */
  readonly where: string;
  /** This process's copy of the presenter's run, fanning it out to the watchers here. */
  readonly broadcast: Broadcast;
  /** Where the class is, as last known here; null before the presenter moved it. */
  readonly position: ClassPosition | null;
  /** The presenter moved the class: every process's followers move (a 503 Problem when the store does not answer). */
  setPosition(position: ClassPosition): Promise<void>;
  /**
   * Calls `listener` with each position the class gets, from whichever process the presenter
   * used, and again with the current one when the store comes back after it went away (followers
   * may have missed a move meanwhile). Returns an unsubscribe.
   */
  onPosition(listener: (position: ClassPosition) => void): () => void;
  /** Takes a batch of the presenter's run (rules: `decide` in broadcast.ts); throws a Problem when refused. */
  publish(batch: BroadcastBatch): Promise<PublishResult>;
  /** This process now has `count` followers (reported to the others). */
  countHere(count: number): void;
  /** Followers of the whole class, all processes, with this process's `here`. */
  followers(here: number): number;
  close(): Promise<void>;
}

/** The class in this process alone: the default, and what a single `npm start` needs. */
export class MemoryClassBus implements ClassBus {
  readonly where = 'this process';
  readonly broadcast: Broadcast;
  #position: ClassPosition | null = null;
  readonly #listeners = new Set<(position: ClassPosition) => void>();

  constructor(broadcast: Broadcast = new Broadcast()) {
    this.broadcast = broadcast;
  }

  get position(): ClassPosition | null {
    return this.#position;
  }

  setPosition(position: ClassPosition): Promise<void> {
    this.#position = position;
    for (const listener of [...this.#listeners]) listener(position);
    return Promise.resolve();
  }

  onPosition(listener: (position: ClassPosition) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(batch: BroadcastBatch): Promise<PublishResult> {
    try {
      return Promise.resolve(this.broadcast.publish(batch));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  countHere(): void {}

  followers(here: number): number {
    return here;
  }

  close(): Promise<void> {
    this.#listeners.clear();
    return Promise.resolve();
  }
}
