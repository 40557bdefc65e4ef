/** Climbing the ladder of stream counts: up one step at a time, no further once a step fails. */

export interface Rung<R> {
  n: number;
  held: boolean;
  /** The attempt that held, or the last one. */
  result: R;
  /** Every attempt at this N, in order. */
  attempts: R[];
}

/**
 * Measures `ladder` in ascending order and stops after the first step that does not hold: a
 * server that fails at N will not hold 2N, and every failing step costs a full hold. A step
 * must fail `attempts` times in a row to count as failed: on a shared machine one stall of the
 * server's process is enough to spoil a p99. `largestHeld` is 0 when even the first step failed.
 */
export async function climb<R>(
  ladder: readonly number[],
  measure: (n: number, attempt: number) => Promise<R>,
  holds: (result: R) => boolean,
  attempts = 2,
): Promise<{ rungs: Rung<R>[]; largestHeld: number }> {
  const rungs: Rung<R>[] = [];
  let largestHeld = 0;
  for (const n of [...ladder].sort((a, b) => a - b)) {
    const tried: R[] = [];
    let held = false;
    while (!held && tried.length < attempts) {
      const result = await measure(n, tried.length + 1);
      tried.push(result);
      held = holds(result);
    }
    rungs.push({ n, held, result: tried.at(-1)!, attempts: tried });
    if (!held) break;
    largestHeld = n;
  }
  return { rungs, largestHeld };
}

/**
 * The N to compare two targets at: the largest both held, else the smallest both measured
 * (so a target that holds nothing is still compared where it failed). Undefined if none.
 */
export function comparableN(a: readonly Rung<unknown>[], b: readonly Rung<unknown>[]): number | undefined {
  const bothHeld = a.filter((r) => r.held && b.some((s) => s.held && s.n === r.n)).map((r) => r.n);
  if (bothHeld.length) return Math.max(...bothHeld);
  const both = a.filter((r) => b.some((s) => s.n === r.n)).map((r) => r.n);
  return both.length ? Math.min(...both) : undefined;
}
