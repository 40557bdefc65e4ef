import type { BalancerMode } from '../../../shared/loadBalancer.ts';

/** Where a request goes, and whether the client must be (re)pinned there (sticky mode). */
export interface Pick {
  id: string;
  pin: boolean;
}

/**
 * The balancing rule alone, apart from any server: the `LoadBalancer` routes real requests
 * with it, and the session simulation (`simulateSessions`) routes its simulated ones with the
 * very same rule, so what the simulation shows is what the balancer does.
 */
export class BalancingRule {
  readonly ids: readonly string[];
  mode: BalancerMode;
  /** Index of the instance picked last in turn. */
  #cursor = -1;

  /** @param first the instance the first turn goes to (index into `ids`). @default 0 */
  constructor(ids: readonly string[], mode: BalancerMode = 'round-robin', first = 0) {
    this.ids = ids;
    this.mode = mode;
    this.#cursor = (first % ids.length) - 1;
  }

  /**
   * Picks the instance for a request from a client pinned to `pinned` (its cookie; undefined:
   * none). `alive` says which instances can take it. `undefined` when none can.
   */
  pick(pinned: string | undefined, alive: (id: string) => boolean): Pick | undefined {
    if (this.mode === 'sticky' && pinned !== undefined && this.ids.includes(pinned) && alive(pinned)) return { id: pinned, pin: false };
    const n = this.ids.length;
    for (let step = 1; step <= n; step++) {
      const index = (this.#cursor + step) % n;
      const id = this.ids[index]!;
      if (alive(id)) {
        this.#cursor = index;
        return { id, pin: this.mode === 'sticky' };
      }
    }
    return undefined;
  }
}
