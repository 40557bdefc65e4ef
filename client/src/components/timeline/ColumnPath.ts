/**
 * Dense marks drawn as paths, at most one mark per pixel column, built incrementally: a lane with
 * more writes or tokens than `maxMarks` draws them this way (see TimelineRow). Columns only grow
 * to the right as the cursor moves on, so a frame costs the new events, not every event again;
 * full chunks of columns are strings that never change (Svelte leaves their `<path>` alone) and
 * only the last chunk's path is rewritten.
 */
import { countAtMost } from '../../run/search.ts';

/** Columns per settled path. */
export const columnChunk = 64;

export interface ColumnPaths {
  /** Paths of full chunks of columns, oldest first: each string stays the same once made. */
  settled: readonly string[];
  /** The columns after them. */
  active: string;
}

/**
 * The columns of a growing list of events, for one scale. `column(i)` is event i's pixel column
 * (never less than the one before), `value(i)` its weight: a column keeps its largest. `draw`
 * turns a column and its value into a path piece.
 */
export class ColumnPath {
  readonly #column: (i: number) => number;
  readonly #value: (i: number) => number;
  readonly #draw: (column: number, value: number) => string;
  /** Per column: its x, largest value, and first event. */
  readonly #xs: number[] = [];
  readonly #values: number[] = [];
  readonly #first: number[] = [];
  /** Events taken in. */
  #count = 0;
  readonly #chunks: string[] = [];

  constructor(column: (i: number) => number, value: (i: number) => number, draw: (column: number, value: number) => string) {
    this.#column = column;
    this.#value = value;
    this.#draw = draw;
  }

  /** The paths of the first `count` events (fewer than last time after a scrub back). */
  paths(count: number): ColumnPaths {
    if (count < this.#count) this.#cut(count);
    const xs = this.#xs;
    for (let i = this.#count; i < count; i++) {
      const x = this.#column(i);
      const v = this.#value(i);
      if (xs.length > 0 && xs[xs.length - 1] === x) this.#values[xs.length - 1] = Math.max(this.#values[xs.length - 1]!, v);
      else {
        xs.push(x);
        this.#values.push(v);
        this.#first.push(i);
      }
    }
    this.#count = count;
    // A chunk is settled once a column after it exists: its last column can take no more events.
    const settled = Math.floor(Math.max(0, xs.length - 1) / columnChunk);
    for (let c = this.#chunks.length; c < settled; c++) this.#chunks.push(this.#piece(c * columnChunk, (c + 1) * columnChunk));
    return { settled: this.#chunks.slice(0, settled), active: this.#piece(settled * columnChunk, xs.length) };
  }

  /**
   * Back to the first `count` events: columns that start at or after it go, and so does the one
   * it falls in (the caller's loop makes it again from its first event, with the right largest).
   */
  #cut(count: number): void {
    // Columns whose first event is before `count` (event indices are integers).
    const lo = countAtMost(this.#first, count - 1);
    const keep = Math.max(0, lo - 1);
    this.#count = lo > 0 ? this.#first[lo - 1]! : 0;
    this.#xs.length = this.#values.length = this.#first.length = keep;
    this.#chunks.length = Math.min(this.#chunks.length, Math.floor(keep / columnChunk));
  }

  #piece(from: number, to: number): string {
    let d = '';
    for (let c = from; c < to; c++) d += this.#draw(this.#xs[c]!, this.#values[c]!);
    return d;
  }
}

/** A 1.5 px bar from `base` up by `height(size)`: a write. */
export function barPiece(base: number, height: (size: number) => number): (x: number, size: number) => string {
  return (x, size) => `M${x - 0.5},${base}h1.5v${(-height(size)).toFixed(1)}h-1.5z`;
}

/** A 1.5 px mark from `top`, `height` tall: a token. */
export function markPiece(top: number, height: number): (x: number) => string {
  return (x) => `M${x - 0.5},${top}h1.5v${height}h-1.5z`;
}
