import type { ByteEvent, Segment, Exchange } from '../wire/types.ts';
import { ConnectionDissector } from '../wire/dissect.ts';
import type { AppEvent } from '../transports/types.ts';
import type { GenerationReport } from '../../../shared/tap.ts';
import { instanceHeader } from '../../../shared/instanceHeader.ts';
import type { LaneId } from './lanes.ts';
import type { Settings } from './settings.ts';
import { nextAppTotals, noAppTotals, type AppTotals } from './appTotals.ts';

export type { AppTotals } from './appTotals.ts';

/** A tap read or write, with the connection it happened on. Times are the server's clock. */
export interface WireEvent extends ByteEvent {
  conn: number;
}

/** How the server's generation behind one of the lane's responses ended (the tap's `generation` event). */
export interface GenerationRecord extends GenerationReport {
  conn: number;
  /** Server clock, like the wire events. */
  t: number;
}

/** A segment of a lane's wire, with its connection. */
export interface LaneSegment extends Segment {
  conn: number;
  /** The leaf's bytes: a view into the tap event that carried them. */
  bytes: Uint8Array;
}

export interface WireTotals {
  down: number;
  up: number;
  writes: number;
}

export interface ConnInfo {
  conn: number;
  method: string;
  path: string;
  remoteAddress: string;
  remotePort: number;
  localPort: number;
  opened: number;
  closed?: number;
}

/** Lanes that recorded something the views have not been told about yet. */
const unannounced = new Set<LaneRecord>();
let announceFrame = 0;

/**
 * Tells the views about everything recorded since the last call: one `version` bump per lane
 * that changed. The player calls it at the start of each frame it draws, so new events and the
 * moved cursor re-render together, once.
 */
export function announceChanges(): void {
  if (announceFrame) cancelAnimationFrame(announceFrame);
  announceFrame = 0;
  for (const lane of unannounced) lane.version++;
  unannounced.clear();
}

/**
 * Everything one lane of a run recorded: the bytes its connections carried (from the tap) and
 * what the page's own code received. Arrays only grow; `version` tells Svelte they did, so a
 * long run costs one counter bump per event, not a deep proxy over thousands of entries.
 *
 * The bump waits for the next animation frame: at 100 tokens/s over three lanes, the tap and the
 * lanes' own clients deliver hundreds of events a second, and re-rendering on each one (with a
 * layout each) is what made frames slow. A frame shows what arrived before it, as it would anyway.
 */
export class LaneRecord {
  readonly id: LaneId;
  readonly wire: WireEvent[] = [];
  readonly app: AppEvent[] = [];
  readonly segments: LaneSegment[] = [];
  /** What the server's generation did for each response, in the order the responses closed. */
  readonly generation: GenerationRecord[] = [];
  /**
   * Running totals, kept as events arrive so that a view at any cursor is a binary search plus
   * a lookup. `totals.wire[i]` is the state after `wire[i]`, `totals.app[i]` after `app[i]`.
   */
  readonly totals = { wire: [] as WireTotals[], app: [] as AppTotals[] };
  /** Token texts in the order the page's code received them. */
  readonly tokens: string[] = [];
  /**
   * The largest (server write time − page receipt time) over the tokens seen on both sides:
   * a lower bound on the clock offset, kept as the events arrive (see `Run.estimateOffset`).
   */
  tokenBound = -Infinity;
  readonly #written = new Map<number, number>();
  readonly #received = new Map<number, number>();
  readonly conns = new Map<number, ConnInfo>();
  readonly #dissectors = new Map<number, ConnectionDissector>();
  /** Bytes seen so far per connection and direction: where the next event starts. */
  readonly #offsets = new Map<string, number>();
  version = $state(0);

  constructor(id: LaneId) {
    this.id = id;
  }

  addConn(info: ConnInfo): void {
    this.conns.set(info.conn, info);
    this.#changed();
  }

  closeConn(conn: number, t: number): void {
    const info = this.conns.get(conn);
    if (info) info.closed = t;
    this.#changed();
  }

  /** Announces the change at the next frame, or at once where there are no frames (tests in Node). */
  #changed(): void {
    if (typeof requestAnimationFrame !== 'function') {
      this.version++;
      return;
    }
    unannounced.add(this);
    announceFrame ||= requestAnimationFrame(() => {
      announceFrame = 0;
      announceChanges();
    });
  }

  addWire(event: WireEvent): void {
    this.wire.push(event);
    const before = this.totals.wire.at(-1) ?? { down: 0, up: 0, writes: 0 };
    const down = event.dir === 'down';
    this.totals.wire.push({
      down: before.down + (down ? event.bytes.length : 0),
      up: before.up + (down ? 0 : event.bytes.length),
      writes: before.writes + (down ? 1 : 0),
    });
    let dissector = this.#dissectors.get(event.conn);
    if (!dissector) this.#dissectors.set(event.conn, (dissector = new ConnectionDissector()));
    const key = `${event.conn}:${event.dir}`;
    const start = this.#offsets.get(key) ?? 0;
    this.#offsets.set(key, start + event.bytes.length);
    for (const segment of dissector.push(event)) {
      const from = segment.offset - start;
      // The dissector's own object, given the lane's fields rather than copied: a long run keeps
      // tens of thousands of segments, and every object kept is work for each garbage collection.
      this.segments.push(Object.assign(segment, { conn: event.conn, bytes: event.bytes.subarray(from, from + segment.length) }));
      if (segment.token !== undefined && segment.dir === 'down' && (segment.part === 'whole' || segment.part === 'last')) {
        this.#written.set(segment.token, segment.t);
        const received = this.#received.get(segment.token);
        if (received !== undefined) this.tokenBound = Math.max(this.tokenBound, segment.t - received);
      }
    }
    this.#changed();
  }

  addGeneration(record: GenerationRecord): void {
    this.generation.push(record);
    this.#changed();
  }

  addApp(event: AppEvent): void {
    this.app.push(event);
    if (event.kind === 'token') {
      this.tokens.push(event.text ?? '');
      if (event.index !== undefined) {
        this.#received.set(event.index, event.t);
        const written = this.#written.get(event.index);
        if (written !== undefined) this.tokenBound = Math.max(this.tokenBound, written - event.t);
      }
    }
    this.totals.app.push(nextAppTotals(this.totals.app.at(-1) ?? noAppTotals, event));
    this.#changed();
  }

  /** HTTP exchanges per connection, in connection order (for the headers panel). */
  exchanges(): { conn: number; exchanges: readonly Exchange[] }[] {
    return [...this.#dissectors].map(([conn, d]) => ({ conn, exchanges: d.exchanges }));
  }

  /**
   * The server instances that answered this lane, in order, from each response's
   * `X-Streamscope-Instance` header (the load-balancer lab names them); `answeredBy(t)` keeps the
   * responses whose head arrived by server time `t`.
   */
  instances(answeredBy: (t: number) => boolean = () => true): string[] {
    const seen: string[] = [];
    for (const { exchanges } of this.exchanges()) {
      for (const { response } of exchanges) {
        if (!response || !answeredBy(response.t)) continue;
        const id = response.headers.find((h) => h.name.toLowerCase() === instanceHeader.toLowerCase())?.value;
        if (id) seen.push(id);
      }
    }
    return seen;
  }
}

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

  constructor(id: string, settings: Settings, lanes: readonly LaneId[], startedAt: number) {
    this.id = id;
    this.settings = settings;
    this.lanes = lanes.map((l) => new LaneRecord(l));
    this.startedAt = startedAt;
  }

  lane(id: LaneId): LaneRecord | undefined {
    return this.lanes.find((l) => l.id === id);
  }

  /** ms after Start for a server (tap) timestamp. */
  wireTime(t: number): number {
    return t - this.offset - this.startedAt;
  }

  /** ms after Start for a tab timestamp. */
  pageTime(t: number): number {
    return t - this.startedAt;
  }

  /** ms after Start of the last thing recorded on any lane. */
  get duration(): number {
    let end = 0;
    for (const lane of this.lanes) {
      void lane.version;
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
