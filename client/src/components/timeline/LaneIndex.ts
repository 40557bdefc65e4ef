/**
 * What a lane's timeline row draws, computed without Svelte: the lane's events as columns that
 * only grow, cut into cached chunks, and the path strings built from them.
 * Wire times are kept as ms after Start on the server's clock (`Run.serverElapsed`: before the
 * clock offset), so a new offset estimate moves the wire marks with one transform instead of
 * rebuilding them. Byte totals are the record's own running totals, not a copy.
 */
import type { AppEvent } from '../../transports/types.ts';
import type { Direction } from '../../wire/types.ts';
import type { Run } from '../../run/Run.svelte.ts';
import { barPiece, ColumnPath, markPiece } from './ColumnPath.ts';
import { chunkSize, rowLayout } from './rowLayout.ts';

/** What the index reads from a lane (a `LaneRecord`): arrays that only grow, and its running totals. */
export interface LaneSource {
  readonly wire: readonly { t: number; dir: Direction; bytes: { length: number } }[];
  readonly app: readonly AppEvent[];
  /** `totals.wire[i].down`: bytes written up to and including `wire[i]`. */
  readonly totals: { readonly wire: readonly { down: number }[] };
  /** The most bytes one write carried. */
  readonly largestWrite: number;
}

/** The run's clock conversions the index needs (a `Run`). */
export type TimelineClock = Pick<Run, 'serverElapsed' | 'pageTime'>;

export interface TokenMark {
  /** ms after Start (the tab's clock). */
  ms: number;
  /** The token's index in the reply. */
  index: number;
}

export interface WriteMark {
  /** The tap's stamp (server clock): what `Run.wireTime` places on the run's axis. */
  t: number;
  /** ms after Start on the server's clock (`Run.serverElapsed`): the offset is applied by a transform. */
  ms: number;
  size: number;
  /** Its index in the lane's `wire` (and its running totals). */
  wire: number;
}

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
  readonly #lane: LaneSource;
  #wireSeen = 0;
  #appSeen = 0;
  readonly #lineChunks: string[] = [];
  /** Server writes, in order. */
  readonly writes: WriteMark[] = [];
  readonly writeMs: number[] = [];
  /** Server reads (the page's requests and frames): server stamps, and ms after Start on the server's clock. */
  readonly readT: number[] = [];
  readonly readMs: number[] = [];
  /** Tokens the page's code received. */
  readonly tokens: TokenMark[] = [];
  readonly tokenMs: number[] = [];
  /** Position in `tokens` of each token index (its first arrival). */
  readonly tokenAt = new Map<number, number>();
  doneMs: number | undefined;
  readonly #tokenChunks: TokenMark[][] = [];
  #barChunks: BarPath[][] = [];
  #barHeight: ((size: number) => number) | undefined;
  #barWidth: ((size: number) => number) | undefined;
  #barColumns: { k: number; height: (size: number) => number; path: ColumnPath } | undefined;
  #tokenColumns: { k: number; path: ColumnPath } | undefined;

  constructor(lane: LaneSource) {
    this.#lane = lane;
  }

  /** Takes in what the lane recorded since the last call. */
  sync(clock: TimelineClock): this {
    const { wire, app } = this.#lane;
    for (; this.#wireSeen < wire.length; this.#wireSeen++) {
      const e = wire[this.#wireSeen]!;
      const ms = clock.serverElapsed(e.t);
      if (e.dir === 'up') {
        this.readT.push(e.t);
        this.readMs.push(ms);
        continue;
      }
      this.writes.push({ t: e.t, ms, size: e.bytes.length, wire: this.#wireSeen });
      this.writeMs.push(ms);
    }
    for (; this.#appSeen < app.length; this.#appSeen++) {
      const e = app[this.#appSeen]!;
      const ms = clock.pageTime(e.t);
      if (e.kind === 'token') {
        const index = e.index ?? this.tokens.length;
        if (!this.tokenAt.has(index)) this.tokenAt.set(index, this.tokens.length);
        this.tokens.push({ ms, index });
        this.tokenMs.push(ms);
      } else if (e.kind === 'done') this.doneMs ??= ms;
    }
    return this;
  }

  /** Bytes written up to and including write `k` (the record's running total), 0 before the first. */
  bytesAfter(k: number): number {
    const write = this.writes[k];
    return write ? this.#lane.totals.wire[write.wire]!.down : 0;
  }

  /** The most bytes one write carried (the record's running figure). */
  get maxWrite(): number {
    return this.#lane.largestWrite;
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
    let d = from === 0 ? `M${num(this.writeMs[0]!)},0` : `M${num(this.writeMs[from - 1]!)},${this.bytesAfter(from - 1)}`;
    for (let k = from; k < to; k++) d += `H${num(this.writeMs[k]!)}V${this.bytesAfter(k)}`;
    return d;
  }
}

/** ms to 0.01 ms: plenty for a pixel, and short path strings. */
function num(ms: number): string {
  return String(Math.round(ms * 100) / 100);
}

const indexes = new WeakMap<object, LaneIndex>();

/**
 * The lane's index, brought up to date. It reads the lane's arrays (a `LaneRecord`'s getters
 * subscribe), so a `$derived` calling it reruns when the lane grows.
 */
export function laneIndex(lane: LaneSource, clock: TimelineClock): LaneIndex {
  let ix = indexes.get(lane);
  if (!ix) indexes.set(lane, (ix = new LaneIndex(lane)));
  return ix.sync(clock);
}
