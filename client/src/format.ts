/**
 * How the page writes durations and byte counts, so the lane figures, the packets in flight, the
 * heads and the bytes say the same thing the same way.
 */

/** How `formatMs` writes a duration. */
export interface MsFormat {
  /** Decimals on a figure in ms. Default 0, as the lane figures; the heads and the bytes show tenths, as writes can be under 1 ms apart. */
  decimals?: number;
  /** From this many ms on, the figure is in seconds (two decimals). Default 10 s; `Infinity` stays in ms. */
  secondsFrom?: number;
}

/** `842 ms`, `12.35 s`; `—` for a figure not known yet (no first byte yet, say). */
export function formatMs(ms: number | undefined, { decimals = 0, secondsFrom = 10_000 }: MsFormat = {}): string {
  if (ms === undefined) return '—';
  // Math.round, as the lane figures always did: toFixed(0) would write a hair below zero as "-0 ms".
  if (ms < secondsFrom) return `${decimals === 0 ? Math.round(ms) : ms.toFixed(decimals)} ms`;
  return formatSeconds(ms);
}

/** `12.35 s`: ms as seconds with two decimals (a connection's close, a long figure). */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** `74 B`, `9999 B`, `9.8 KiB`: whole bytes below 10,000, then KiB with one decimal. */
export function formatBytes(n: number): string {
  return n < 10_000 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}
