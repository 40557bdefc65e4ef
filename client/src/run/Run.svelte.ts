import type { LaneId } from './lanes.ts';
import type { Settings } from './settings.ts';
import { LaneRecord } from './LaneRecord.svelte.ts';
import { pageNow } from '../transports/types.ts';

export type { AppTotals } from './appTotals.ts';
export { LaneRecord, type LaneOrigin, type ConnInfo, type GenerationRecord, type LaneSegment, type WireEvent, type WireTotals } from './LaneRecord.svelte.ts';

export type RunState = 'live' | 'ended' | 'replay';

/**
 * One race of the same reply over several lanes, live or loaded from a recording.
 * Times: the tap stamps with the server's clock, the page with the tab's; `offset` (server minus
 * tab, estimated from each lane's request and response) puts both on one axis.
 */
export class Run {
  readonly id: string;
  readonly settings: Settings;
  readonly lanes: LaneRecord[];
  /** When the lanes started, tab clock, ms since epoch: time 0 of every view. */
  startedAt: number;
  offset = $state(0);
  /** How much larger the offset could be and still fit every observed request and response. */
  offsetUncertainty = $state<number | null>(null);
  state = $state<RunState>('live');
  /** Tap events this page did not receive because it fell behind. */
  dropped = $state(0);
  /**
   * How far this tab's clock is ahead of the clock the run's page times are on: 0 for a run of
   * this page; for a run broadcast by the presenter's page, that page's clock difference plus the
   * broadcast's delay, so the live cursor stays just behind what has arrived.
   */
  clockShift = 0;

  constructor(id: string, settings: Settings, lanes: readonly LaneId[], startedAt: number) {
    this.id = id;
    this.settings = settings;
    this.lanes = lanes.map((l) => new LaneRecord(l));
    this.startedAt = startedAt;
  }

  lane(id: LaneId): LaneRecord | undefined {
    return this.lanes.find((l) => l.id === id);
  }

  // The one place that converts between the run's clocks. Server time: the tap's stamps (the
  // server's clock, ms since epoch). Page time: the tab's stamps (`pageNow()`). Run time: ms after
  // Start on the tab's clock, what the cursor and every axis count. `offset` is server minus tab.
  //
  // The order of the sums matters: stamps since epoch have a quarter-microsecond grain, and
  // `t - offset` rounded to it could come back from `serverTime` one grain short of `t`, hiding
  // the run's last bytes at the end of the run (the cursor is at their own time). Subtracting
  // the start first leaves small numbers, so `serverTime(wireTime(t))` is exactly `t`.

  /** Run time of a server (tap) timestamp. */
  wireTime(t: number): number {
    return t - this.startedAt - this.offset;
  }

  /** Run time of a tab timestamp. */
  pageTime(t: number): number {
    return t - this.startedAt;
  }

  /** Run time now, on the live cursor's clock. */
  liveTime(): number {
    return pageNow() - this.clockShift - this.startedAt;
  }

  /** The server timestamp at run time `ms` (the inverse of `wireTime`). */
  serverTime(ms: number): number {
    return ms + this.offset + this.startedAt;
  }

  /**
   * ms after Start as the server's clock counts it: `wireTime(t) + offset`. Views that keep many
   * wire marks keep them on this axis and shift them all by `-offset` when drawing, so a new
   * offset estimate moves the marks with one transform instead of rebuilding them.
   */
  serverElapsed(t: number): number {
    return t - this.startedAt;
  }

  /** Tells the views, once per frame, what every lane recorded since the last call (the player calls it). */
  announce(): void {
    for (const lane of this.lanes) lane.announce();
  }

  /** ms after Start of the last thing recorded on any lane. */
  get duration(): number {
    let end = 0;
    for (const lane of this.lanes) {
      const lastWire = lane.wire.at(-1);
      const lastApp = lane.app.at(-1);
      if (lastWire) end = Math.max(end, this.wireTime(lastWire.t));
      if (lastApp) end = Math.max(end, this.pageTime(lastApp.t));
      for (const c of lane.conns.values()) if (c.closed) end = Math.max(end, this.wireTime(c.closed));
      // A generation report comes as its response closes, a moment after the socket's last event.
      for (const g of lane.generation) end = Math.max(end, this.wireTime(g.t));
    }
    return end;
  }

  /**
   * Estimates the clock offset (server minus tab) from causality: a request reaches the server
   * after the page sent it (offset ≤ s0 − c0), and a response or token reaches the page after the
   * server wrote it (offset ≥ s − c). Within those bounds it takes the lowest, i.e. assumes the
   * fastest delivery seen took no time: right on one machine or a LAN, where requests are often
   * slower to leave the browser than responses are to arrive (so NTP's midpoint would be off).
   */
  estimateOffset(): void {
    let lower = -Infinity;
    let upper = Infinity;
    for (const lane of this.lanes) {
      const c0 = lane.app.find((e) => e.kind === 'request')?.t;
      const c1 = lane.app.find((e) => e.kind === 'open')?.t;
      const first = lane.wire[0]?.conn;
      const s0 = lane.wire.find((e) => e.conn === first && e.dir === 'up')?.t;
      const s1 = lane.wire.find((e) => e.conn === first && e.dir === 'down')?.t;
      if (c0 !== undefined && s0 !== undefined) upper = Math.min(upper, s0 - c0);
      if (c1 !== undefined && s1 !== undefined) lower = Math.max(lower, s1 - c1);
      // Each token: the server wrote it before the page's code had it.
      lower = Math.max(lower, lane.tokenBound);
    }
    if (!Number.isFinite(lower) && !Number.isFinite(upper)) return;
    this.offset = Number.isFinite(lower) ? (lower <= upper ? lower : (lower + upper) / 2) : upper;
    // Bounds that cross mean some pairing was wrong (or clocks jumped): say nothing of the spread.
    this.offsetUncertainty = Number.isFinite(lower) && Number.isFinite(upper) && lower <= upper ? upper - lower : null;
  }
}
