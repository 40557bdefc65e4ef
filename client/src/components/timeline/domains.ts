/** The timeline's axes: domains that grow in steps while live, so marks are rescaled a few times per run, not every frame. */

const niceSteps = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/** The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ at or above `v` (1 for v ≤ 1). */
export function niceCeil(v: number): number {
  if (!(v > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of niceSteps) if (m * p >= v * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/**
 * End of the time axis for a run whose last event or cursor is at `need` ms. While live it grows
 * in steps with some room ahead of the cursor, so the marks are rescaled a few times per run, not
 * every frame; otherwise it fits the run (at least 1 s).
 */
export function timeDomainEnd(need: number, live: boolean): number {
  return live ? niceCeil(Math.max(1000, need * 1.1)) : Math.max(1000, need);
}

/** Top of the bytes-written axis: grows in steps while live (the totals grow with every write), fits otherwise. */
export function bytesDomainMax(max: number, live: boolean): number {
  return live ? niceCeil(max) : Math.max(1, max);
}
