/** The byte view's layout: a lane's segments grouped into visual rows, built incrementally. */
import type { LaneSegment } from '../../run/Run.svelte.ts';
import type { Direction, SegmentKind } from '../../wire/types.ts';
import { utf8Length } from '../../wire/format.ts';
import { badgeOf } from './badges.ts';
import { unitsOf } from './units.ts';
import { countAtMost, countUntil } from '../../run/search.ts';

/** Row width: text wraps at this many columns, hex at 24 bytes of 3 columns. */
export const textColumns = 90;
export const hexColumns = 24 * 3;

/**
 * The first rows (the request and response heads) stay in the DOM wherever the view is
 * scrolled, so the head is always there to read and to search. The pinned block ends at a row
 * that starts a new element (a chunk, a frame, a head), never half-way through a chunk.
 */
export const pinMin = 32;
export const pinMax = 60;

/** Elements that start a new visual row: a frame, a request or a response. */
const rowStarters = new Set<SegmentKind>(['ws-fin-opcode', 'h2-length', 'request-line', 'status-line']);

/**
 * Elements that end their row: a WebSocket payload (its frame is one row), and an HTTP/2 frame
 * header, whose 9 bytes get a row of their own as a chunk-size line does, so a narrow lane still
 * shows the length, type, flags and stream id together at its left, its payload on the rows below.
 */
const rowEnders = new Set<SegmentKind>(['ws-payload', 'ws-close-reason', 'h2-stream-id']);

/** Rows starting with one of these (as a whole element) are a clean place to end the pinned block. */
const cleanStarts = new Set<SegmentKind>(['chunk-size', 'chunk-last', 'ws-fin-opcode', 'h2-length', 'request-line', 'status-line']);

const first = (s: LaneSegment): boolean => s.part === 'whole' || s.part === 'first';
const last = (s: LaneSegment): boolean => s.part === 'whole' || s.part === 'last';

/** A run of one segment's bytes on one visual row. */
export interface Piece {
  seg: number;
  start: number;
  end: number;
  /** Bytes of a header or field name (with its colon) at the start of this piece. */
  nameEnd: number;
  badge?: string;
}

export interface Row {
  /** Index of the first segment on this row (for a separator: of the connection's first). */
  first: number;
  conn: number;
  dir: Direction;
  /** A separator row: "connection #N · GET /…". */
  sep: boolean;
  pieces: Piece[];
}

/**
 * Lays a lane's segments out in visual rows, incrementally: `sync` looks only at segments it
 * has not seen, so a live run costs O(new bytes) per update. A row ends after a line feed,
 * after a WebSocket payload or an HTTP/2 frame header, when the direction or connection
 * changes, or at `cols` columns (long bodies wrap onto continuation rows, cut between
 * characters).
 */
export class RowModel {
  readonly rows: Row[] = [];
  /** Per segment: the latest tap time up to it. Times only grow per direction, this always grows. */
  readonly maxT: number[] = [];
  /** Per segment: the row of its first piece. */
  readonly rowOf: number[] = [];
  /** Per token index: its first segment. */
  readonly tokenAt = new Map<number, number>();
  readonly hex: boolean;
  readonly cols: number;
  #segments: readonly LaneSegment[] = [];
  #open: Row | null = null;
  #width = 0;
  #conn: number | undefined;
  /** Bytes already laid out of split header and field elements, by `conn:element`. */
  #names = new Map<string, number>();
  #pin: number | undefined;

  constructor(hex: boolean, cols: number) {
    this.hex = hex;
    this.cols = cols;
  }

  sync(segments: readonly LaneSegment[]): void {
    this.#segments = segments;
    for (let i = this.maxT.length; i < segments.length; i++) this.#add(segments[i]!, i);
  }

  /** How many segments have a tap time ≤ `t` (the prefix shown at the cursor). */
  countUpTo(t: number): number {
    return countAtMost(this.maxT, t);
  }

  /** How many rows start with one of the first `count` segments. */
  rowsFor(count: number): number {
    // Segment indexes are whole numbers: a row starts with one of the first `count` when its first is at most count - 1.
    return countUntil(this.rows, (row) => row.first, count - 1);
  }

  /** Rows kept in the DOM whatever the scroll position (see `pinMin`). */
  get pinned(): number {
    if (this.#pin !== undefined) return this.#pin;
    const n = this.rows.length;
    if (n <= pinMin) return n;
    for (let r = pinMin; r < Math.min(n, pinMax); r++) if (this.#startsClean(r)) return (this.#pin = r);
    return n >= pinMax ? (this.#pin = pinMax) : pinMin;
  }

  /** Does this row start a new element that is no part of a chunk before it? */
  #startsClean(r: number): boolean {
    const row = this.rows[r];
    if (!row) return true;
    const p = row.pieces[0];
    const s = p && this.#segments[p.seg];
    return row.sep || (s !== undefined && p !== undefined && p.start === 0 && first(s) && cleanStarts.has(s.kind));
  }

  /**
   * `end` moved forward (by at most 12 rows, not past `limit`) to a row that starts a new
   * element, so a rendered window holds whole chunks and frames.
   */
  cleanEnd(end: number, limit: number): number {
    for (let r = end; r < Math.min(limit, end + 12); r++) if (this.#startsClean(r)) return r;
    return Math.min(limit, end + 12);
  }

  #close(): void {
    this.#open = null;
    this.#width = 0;
  }

  #put(index: number, s: LaneSegment, from: number, to: number, nameEnd: number): Piece | undefined {
    if (to <= from) return undefined;
    if (!this.#open) {
      this.#open = { first: index, conn: s.conn, dir: s.dir, sep: false, pieces: [] };
      this.rows.push(this.#open);
    }
    const piece: Piece = { seg: index, start: from, end: to, nameEnd: Math.max(0, Math.min(nameEnd - from, to - from)) };
    this.#open.pieces.push(piece);
    if (this.rowOf[index] === undefined) this.rowOf[index] = this.rows.length - 1;
    return piece;
  }

  /** Bytes of the element's name and colon that fall in this segment, from its start. */
  #nameEnd(s: LaneSegment): number {
    if (s.name === undefined || (s.kind !== 'header' && s.kind !== 'trailer' && s.kind !== 'sse-field')) return 0;
    const key = `${s.conn}:${s.element}`;
    const before = first(s) ? 0 : (this.#names.get(key) ?? 0);
    if (last(s)) this.#names.delete(key);
    else this.#names.set(key, before + s.length);
    let nameLength = utf8Length(s.name) + 1;
    // A field line without a colon is all name.
    const colonAt = nameLength - 1 - before;
    if (colonAt >= 0 && colonAt < s.length && s.bytes[colonAt] !== 0x3a) nameLength--;
    return nameLength - before;
  }

  #add(s: LaneSegment, index: number): void {
    this.maxT.push(Math.max(this.maxT.at(-1) ?? -Infinity, s.t));
    if (s.token !== undefined && !this.tokenAt.has(s.token)) this.tokenAt.set(s.token, index);
    if (s.conn !== this.#conn) {
      this.#close();
      this.rows.push({ first: index, conn: s.conn, dir: s.dir, sep: true, pieces: [] });
      this.#conn = s.conn;
    }
    if (this.#open && (this.#open.dir !== s.dir || (first(s) && rowStarters.has(s.kind)))) this.#close();

    const nameEnd = this.#nameEnd(s);
    const units = unitsOf(s, this.hex);
    let total = 0;
    for (const u of units) total += u.width;
    // A short element that does not fit on this row starts the next one instead of wrapping.
    if (this.#width > 0 && this.#width + total > this.cols && total <= this.cols) this.#close();

    let from = 0;
    let at = 0;
    let piece: Piece | undefined;
    for (const u of units) {
      if (this.#width > 0 && this.#width + u.width > this.cols) {
        piece = this.#put(index, s, from, at, nameEnd) ?? piece;
        this.#close();
        from = at;
      }
      this.#width += u.width;
      at = u.end;
      if (u.lf) {
        piece = this.#put(index, s, from, at, nameEnd) ?? piece;
        this.#close();
        from = at;
      }
    }
    piece = this.#put(index, s, from, at, nameEnd) ?? piece;

    const badge = last(s) ? badgeOf(s) : undefined;
    if (badge && piece) {
      piece.badge = badge;
      this.#width += badge.length + 2;
    }
    if (last(s) && rowEnders.has(s.kind)) this.#close();
  }
}
