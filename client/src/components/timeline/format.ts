/** The timeline's words for times, counts and sizes. */

/** Same wording as the lane figures: ms below 10 s, then seconds. */
export function formatMs(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** One formatter for every frame's figures (`toLocaleString` would build one per call). */
const integer = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return integer.format(n);
}

export function formatBytes(n: number): string {
  return n < 10_000 ? `${integer.format(n)} B` : `${(n / 1024).toFixed(1)} KiB`;
}

/** An axis tick: ms on a short axis, seconds on a longer one. */
export function tickLabel(ms: number, end: number): string {
  return end < 2000 ? `${ms} ms` : `${+(ms / 1000).toFixed(3)} s`;
}
