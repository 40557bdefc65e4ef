/**
 * What the timeline draws, computed without Svelte: per-lane columns that only grow, binary
 * searches for what is visible at the cursor, and domains that grow in steps (the words are
 * placed by timelineLabels.ts).
 * Times are ms after Start. Wire times are kept on the server's clock (before the clock offset),
 * so a new offset estimate moves the wire marks with one transform instead of rebuilding them.
 */
import type { AppEvent } from '../transports/types.ts';
import type { Direction } from '../wire/types.ts';
import { barPiece, ColumnPath, markPiece } from './timelineColumns.ts';

/** What the index reads from a lane (a `LaneRecord`): arrays that only grow, and a counter that says they did. */
export interface LaneSource {
  readonly version: number;
  readonly wire: readonly { t: number; dir: Direction; bytes: { length: number } }[];
  readonly app: readonly AppEvent[];
}

export interface TokenMark {
  /** ms after Start (the tab's clock). */
  ms: number;
  /** The token's index in the reply. */
  index: number;
}

export interface WriteMark {
  /** ms after Start on the server's clock: subtract the clock offset to place it. */
  ms: number;
  size: number;
}

/**
 * The marks of a lane's row, px from its top: the writes up from `base` (at most to `barTop`), the
 * wire line at `base`, tokens below. The row's height and its label lines are in `timelineText`.
 */
export const rowLayout = { barTop: 20, base: 44, tokenTop: 50, tokenHeight: 10 } as const;

/** Above this many visible writes (or tokens), a lane draws them as paths of pixel columns (`barColumns`, `tokenColumns`) instead of an element each, so the DOM stays bounded. */
export const maxMarks = 1000;

/**
 * Marks per chunk. Full chunks are cached (the same array or string every time) and drawn in a
 * layer that changes only when a chunk fills; the marks after the last full chunk are the only
 * ones redrawn as the cursor moves.
 */
export const chunkSize = 64;

/**
 * Writes' bars of one width, as one path of vertical strokes in (server ms, px) units: drawn with
 * `stroke-width` = `width` px (and a stroke that does not scale), each stroke is one write's bar.
 */
export interface BarPath {
  /** px across, to the half pixel. */
  width: number;
  d: string;
}

/** The first `chunks` full chunks of `items` (which only grow), filling `cache` as needed. */
function fullChunks<T, C>(cache: C[], items: readonly T[], chunks: number, chunk: (from: number, to: number) => C): C[] {
  const n = Math.min(chunks, Math.floor(items.length / chunkSize));
  for (let c = cache.length; c < n; c++) cache.push(chunk(c * chunkSize, (c + 1) * chunkSize));
  return cache.slice(0, n);
}

/**
 * One lane's events as time-ordered columns, extended as the lane grows, so a 10,000-event lane
 * costs one pass, not one pass per frame. Mark objects are created once, so a keyed or unkeyed
 * `{#each}` over a prefix of them only ever adds or removes elements at the end.
 */
export class LaneIndex {
  #wireSeen = 0;
  #appSeen = 0;
  readonly #lineChunks: string[] = [];
  /** Server writes, in order. */
  readonly writes: WriteMark[] = [];
  readonly writeMs: number[] = [];
  /** Bytes written up to and including each write. */
  readonly writeTotal: number[] = [];
  /** Server reads (the page's requests and frames), server clock. */
  readonly readMs: number[] = [];
  /** Tokens the page's code received. */
  readonly tokens: TokenMark[] = [];
  readonly tokenMs: number[] = [];
  /** Position in `tokens` of each token index (its first arrival). */
  readonly tokenAt = new Map<number, number>();
  doneMs: number | undefined;
  maxWrite = 0;
  readonly #tokenChunks: TokenMark[][] = [];
  #barChunks: BarPath[][] = [];
  #barHeight: ((size: number) => number) | undefined;
  #barWidth: ((size: number) => number) | undefined;
  #barColumns: { k: number; height: (size: number) => number; path: ColumnPath } | undefined;
  #tokenColumns: { k: number; path: ColumnPath } | undefined;

  /** Takes in what the lane recorded since the last call. `startedAt` is time 0, tab clock. */
  sync(lane: LaneSource, startedAt: number): this {
    for (; this.#wireSeen < lane.wire.length; this.#wireSeen++) {
      const e = lane.wire[this.#wireSeen]!;
      const ms = e.t - startedAt;
      if (e.dir === 'up') {
        this.readMs.push(ms);
        continue;
      }
      const size = e.bytes.length;
      this.writes.push({ ms, size });
      this.writeMs.push(ms);
      this.writeTotal.push((this.writeTotal.at(-1) ?? 0) + size);
      this.maxWrite = Math.max(this.maxWrite, size);
    }
    for (; this.#appSeen < lane.app.length; this.#appSeen++) {
      const e = lane.app[this.#appSeen]!;
      if (e.kind === 'token') {
        const index = e.index ?? this.tokens.length;
        if (!this.tokenAt.has(index)) this.tokenAt.set(index, this.tokens.length);
        this.tokens.push({ ms: e.t - startedAt, index });
        this.tokenMs.push(e.t - startedAt);
      } else if (e.kind === 'done') this.doneMs ??= e.t - startedAt;
    }
    return this;
  }

  /** The first `chunks` full chunks of tokens. */
  tokenChunks(chunks: number): TokenMark[][] {
    return fullChunks(this.#tokenChunks, this.tokens, chunks, (from, to) => this.tokens.slice(from, to));
  }

  /**
   * Bars of writes `from` to `to`, one path per width. Their geometry depends on the shared
   * scales: cached chunks are dropped when `height` or `width` is a new function (when the
   * largest write grew).
   */
  bars(from: number, to: number, height: (size: number) => number, width: (size: number) => number): BarPath[] {
    const paths = new Map<number, string>();
    for (let k = from; k < Math.min(to, this.writes.length); k++) {
      const { ms, size } = this.writes[k]!;
      const w = Math.round(width(size) * 2) / 2;
      paths.set(w, `${paths.get(w) ?? ''}M${num(ms)},${rowLayout.base}v${(-height(size)).toFixed(1)}`);
    }
    return [...paths].map(([w, d]) => ({ width: w, d }));
  }

  /** The first `chunks` full chunks of bars (see `bars`). */
  barChunks(chunks: number, height: (size: number) => number, width: (size: number) => number): BarPath[][] {
    if (height !== this.#barHeight || width !== this.#barWidth) {
      this.#barHeight = height;
      this.#barWidth = width;
      this.#barChunks = [];
    }
    return fullChunks(this.#barChunks, this.writes, chunks, (from, to) => this.bars(from, to, height, width));
  }

  /**
   * Writes as bars at most one per pixel column (the column's largest), at `k` px per ms on the
   * server's clock: shift them by the clock offset times `k` to place them. Kept while `k` and
   * `height` stay, so each frame adds only the new writes.
   */
  barColumns(k: number, height: (size: number) => number): ColumnPath {
    if (this.#barColumns?.k !== k || this.#barColumns.height !== height) {
      const path = new ColumnPath(
        (i) => Math.round(this.writes[i]!.ms * k),
        (i) => this.writes[i]!.size,
        barPiece(rowLayout.base, height),
      );
      this.#barColumns = { k, height, path };
    }
    return this.#barColumns.path;
  }

  /** Tokens as marks at most one per pixel column, at `k` px per ms (see `barColumns`). */
  tokenColumns(k: number): ColumnPath {
    if (this.#tokenColumns?.k !== k) {
      this.#tokenColumns = {
        k,
        path: new ColumnPath(
          (i) => Math.round(this.tokenMs[i]! * k),
          () => 1,
          markPiece(rowLayout.tokenTop, rowLayout.tokenHeight),
        ),
      };
    }
    return this.#tokenColumns.path;
  }

  /**
   * The bytes-written step line in (server ms, bytes) units: the first `chunks` full pieces of
   * `chunkSize` writes. Each piece starts where the previous one ended, so they draw one line.
   */
  lineChunks(chunks: number): string[] {
    return fullChunks(this.#lineChunks, this.writes, chunks, (from, to) => this.linePiece(from, to));
  }

  /** The step line over writes `from` to `to` (from the end of write `from - 1`). */
  linePiece(from: number, to: number): string {
    if (to <= from) return '';
    let d = from === 0 ? `M${num(this.writeMs[0]!)},0` : `M${num(this.writeMs[from - 1]!)},${this.writeTotal[from - 1]!}`;
    for (let k = from; k < to; k++) d += `H${num(this.writeMs[k]!)}V${this.writeTotal[k]!}`;
    return d;
  }
}

/** ms to 0.01 ms: plenty for a pixel, and short path strings. */
function num(ms: number): string {
  return String(Math.round(ms * 100) / 100);
}

const indexes = new WeakMap<object, LaneIndex>();

/** The lane's index, brought up to date. Reads `lane.version`, so a `$derived` calling it reruns on each push. */
export function laneIndex(lane: LaneSource, startedAt: number): LaneIndex {
  void lane.version;
  let ix = indexes.get(lane);
  if (!ix) indexes.set(lane, (ix = new LaneIndex()));
  return ix.sync(lane, startedAt);
}

/** How many of the ascending `times` are at or before `limit`. */
export function upTo(times: readonly number[], limit: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the ascending `xs` (first `count`) nearest to `x`, or -1. */
export function nearest(xs: readonly number[], count: number, x: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= count) return count - 1;
  if (lo > 0 && x - xs[lo - 1]! < xs[lo]! - x) return lo - 1;
  return lo;
}

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

/** Reads (the first `count`) as small upward triangles with their tip at `y`, at most one per pixel column. */
export function readTriangles(ms: readonly number[], count: number, toPx: (ms: number) => number, y: number): string {
  let d = '';
  let last = NaN;
  for (let k = 0; k < count; k++) {
    const x = toPx(ms[k]!);
    if (Math.round(x) === last) continue;
    last = Math.round(x);
    d += `M${(x - 4).toFixed(1)},${y + 7}L${x.toFixed(1)},${y}L${(x + 4).toFixed(1)},${y + 7}z`;
  }
  return d;
}

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

export function tickLabel(ms: number, end: number): string {
  return end < 2000 ? `${ms} ms` : `${+(ms / 1000).toFixed(3)} s`;
}
