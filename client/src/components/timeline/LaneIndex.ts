/**
 * What a lane's timeline row draws, computed without Svelte: the lane's events as columns that
 * only grow (timeline/RowCanvas.ts draws them).
 * Wire times are kept as ms after Start on the server's clock (`Run.serverElapsed`: before the
 * clock offset), so a new offset estimate moves the wire marks with one transform instead of
 * rebuilding them. Byte totals are the record's own running totals, not a copy.
 */
import type { AppEvent } from '../../transports/types.ts';
import type { Direction } from '../../wire/types.ts';
import type { Run } from '../../run/Run.svelte.ts';

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
 * One lane's events as time-ordered columns, extended as the lane grows, so a 10,000-event lane
 * costs one pass, not one pass per frame.
 */
export class LaneIndex {
  readonly #lane: LaneSource;
  #wireSeen = 0;
  #appSeen = 0;
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
