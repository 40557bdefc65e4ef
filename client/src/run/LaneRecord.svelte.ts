import type { ByteEvent, Segment, Exchange } from '../wire/types.ts';
import { createDissector, dissectorReady, loadBinaryDissectors, sniffProtocol, type WireDissector, type WireProtocol } from '../wire/dissectors.ts';
import type { AppEvent } from '../transports/types.ts';
import type { GenerationReport } from '../../../shared/tap.ts';
import { instanceHeader } from '../../../shared/instanceHeader.ts';
import { replyHeader } from '../../../shared/replyHeader.ts';
import type { LaneId } from './lanes.ts';
import { nextAppTotals, noAppTotals, type AppTotals } from './appTotals.ts';

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

/** Where a lane came from when it was not recorded by Streamscope (a HAR): its own title, and what the page must say about it. */
export interface LaneOrigin {
  title: string;
  how: string;
  /** Shown with the lane: what the source keeps and what it does not. */
  note: string;
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
  /** The request's full URL, for a connection opened from a HAR (the tap knows only the path). */
  url?: string;
  /** A connection on the HTTPS port: the protocol agreed by ALPN (`h2`: HTTP/2 frames). */
  protocol?: 'h2' | 'http/1.1';
  /** `tls`: this connection's bytes are TLS records (a lane's network view). */
  layer?: 'tls';
  /** The plaintext of an HTTPS connection: the tap's number for its TLS records' connection. */
  tls?: number;
}

/** A connection's dissector: HTTP/1.1 and HTTP/2 ones also parse the exchanges (the headers panel). */
type LaneDissector = WireDissector & { readonly exchanges?: readonly Exchange[] };

/** What changed since the last announcement: the tap's side (bits 1) and the page's code's side (bits 2). */
const wireChanged = 1;
const appChanged = 2;

/**
 * Everything one lane of a run recorded: the bytes its connections carried (from the tap) and
 * what the page's own code received. Arrays only grow and are not deep proxies (a long run costs
 * one counter bump per frame, not a proxy over thousands of entries); instead every getter reads
 * the counter of the side it returns, so a view that reads `lane.wire` or `lane.tokens` in a
 * `$derived` reruns when that side grew, and needs no dependency read of its own.
 *
 * The counters move only in `announce()`, which the player calls once at the start of each frame
 * it draws: at 100 tokens/s over three lanes, the tap and the lanes' own clients deliver hundreds
 * of events a second, and re-rendering on each one (with a layout each) is what made frames slow.
 * A frame shows what arrived before it, as it would anyway. Two counters, not one, so that the
 * reply's text (the page's side) is not rebuilt for each tap event.
 */
export class LaneRecord {
  readonly id: LaneId;
  /** Set on lanes opened from a HAR (never on recorded ones). */
  origin: LaneOrigin | undefined = undefined;
  readonly #wire: WireEvent[] = [];
  readonly #app: AppEvent[] = [];
  readonly #segments: LaneSegment[] = [];
  readonly #generation: GenerationRecord[] = [];
  readonly #totals = { wire: [] as WireTotals[], app: [] as AppTotals[] };
  readonly #tokens: string[] = [];
  readonly #conns = new Map<number, ConnInfo>();
  #largestWrite = 0;
  #tokenBound = -Infinity;
  readonly #written = new Map<number, number>();
  readonly #received = new Map<number, number>();
  readonly #dissectors = new Map<number, LaneDissector>();
  /**
   * Events of connections whose dissector is still loading (HTTP/2 and TLS come as a chunk of
   * their own: `loadBinaryDissectors`), in order, dissected once it has come.
   */
  #waiting: { event: WireEvent; context: boolean }[] = [];
  /**
   * HTTP/2: the streams of each connection that are this lane's. An HTTP/2 connection carries
   * other lanes' and other runs' streams too: their frames are dissected (HPACK's table needs
   * every header block) but not shown here; the connection's own frames (stream 0) are.
   */
  readonly #streams = new Map<number, Set<number>>();
  /** HTTP/2: the exchanges (one per stream) of each connection that are this lane's, as their leaves arrive. */
  readonly #ownExchanges = new Map<number, Set<number>>();
  /** Earlier runs' leaves not shown: encrypted records (`conn:dir:record`), or everything after an HTTP/2 connection's setup (`conn`). */
  readonly #contextHidden = new Set<string>();
  /** The same connections as TLS records (the network view), when the lane's connections were over TLS. */
  #network: LaneRecord | null = null;
  /** Bytes seen so far per connection and direction: where the next event starts. */
  readonly #offsets = new Map<string, number>();
  #wireVersion = $state(0);
  #appVersion = $state(0);
  /** Sides recorded since the last `announce()` (`wireChanged | appChanged`). */
  #pending = 0;

  constructor(id: LaneId) {
    this.id = id;
  }

  /** Tap reads and writes, in the order the tap saw them. */
  get wire(): readonly WireEvent[] {
    void this.#wireVersion;
    return this.#wire;
  }

  /** What the page's own code saw, in order. */
  get app(): readonly AppEvent[] {
    void this.#appVersion;
    return this.#app;
  }

  /** The dissected wire: every leaf of every connection, in the order its bytes arrived. */
  get segments(): readonly LaneSegment[] {
    void this.#wireVersion;
    return this.#segments;
  }

  /** What the server's generation did for each response, in the order the responses closed. */
  get generation(): readonly GenerationRecord[] {
    void this.#wireVersion;
    return this.#generation;
  }

  /** The lane's connections by the tap's number for them. */
  get conns(): ReadonlyMap<number, Readonly<ConnInfo>> {
    void this.#wireVersion;
    return this.#conns;
  }

  /**
   * Running totals, kept as events arrive so that a view at any cursor is a binary search plus
   * a lookup. `totals.wire[i]` is the state after `wire[i]`, `totals.app[i]` after `app[i]`.
   */
  get totals(): { readonly wire: readonly WireTotals[]; readonly app: readonly AppTotals[] } {
    void this.#wireVersion;
    void this.#appVersion;
    return this.#totals;
  }

  /** Token texts in the order the page's code received them. */
  get tokens(): readonly string[] {
    void this.#appVersion;
    return this.#tokens;
  }

  /** The most bytes one server write carried so far (the timeline's bar scale). */
  get largestWrite(): number {
    void this.#wireVersion;
    return this.#largestWrite;
  }

  /**
   * The largest (server write time − page receipt time) over the tokens seen on both sides:
   * a lower bound on the clock offset, kept as the events arrive (see `Run.estimateOffset`).
   */
  get tokenBound(): number {
    void this.#wireVersion;
    void this.#appVersion;
    return this.#tokenBound;
  }

  /** A number that changes whenever the record grew (for a view that keys work on "anything new"). */
  get version(): number {
    return this.#wireVersion + this.#appVersion;
  }

  /**
   * The lane's connections as TLS records, as they crossed the network: a record of its own
   * (same lane id), whose connections are the TLS layer of this one's. `null` until the tap
   * reported a TLS record for one of them.
   */
  get network(): LaneRecord | null {
    void this.#wireVersion;
    return this.#network;
  }

  /** The network record, made on first use (the tap client files TLS records there). */
  networkRecord(): LaneRecord {
    if (!this.#network) {
      this.#network = new LaneRecord(this.id);
      this.#pending |= wireChanged;
    }
    return this.#network;
  }

  /** Files HTTP/2 stream `stream` of connection `conn` as this lane's (a request of this lane's code). */
  addStream(conn: number, stream: number): void {
    let set = this.#streams.get(conn);
    if (!set) this.#streams.set(conn, (set = new Set()));
    set.add(stream);
  }

  /** Tells the views about what was recorded since the last call. Only the player calls it, once per frame. */
  announce(): void {
    this.#network?.announce();
    if (this.#pending & wireChanged) this.#wireVersion++;
    if (this.#pending & appChanged) this.#appVersion++;
    this.#pending = 0;
  }

  addConn(info: ConnInfo): void {
    this.#conns.set(info.conn, info);
    this.#pending |= wireChanged;
  }

  closeConn(conn: number, t: number): void {
    const info = this.#conns.get(conn);
    if (info) info.closed = t;
    this.#pending |= wireChanged;
  }

  /**
   * Records a tap read or write. `context`: bytes an HTTP/2 connection carried before this lane's
   * run used it (an earlier run's streams, its SETTINGS): dissected, since HPACK's table and the
   * frame boundaries depend on them, and the connection's own frames among them shown, but not
   * counted in the lane's bytes or timeline.
   */
  addWire(event: WireEvent, context = false): void {
    const down = event.dir === 'down';
    if (!context) {
      this.#wire.push(event);
      const before = this.#totals.wire.at(-1) ?? { down: 0, up: 0, writes: 0 };
      this.#totals.wire.push({
        down: before.down + (down ? event.bytes.length : 0),
        up: before.up + (down ? 0 : event.bytes.length),
        writes: before.writes + (down ? 1 : 0),
      });
      if (down) this.#largestWrite = Math.max(this.#largestWrite, event.bytes.length);
    }
    this.#dissect(event, context);
    this.#pending |= wireChanged;
  }

  /** Turns a tap event into this lane's segments, or keeps it until its connection's dissector has loaded. */
  #dissect(event: WireEvent, context: boolean): void {
    let dissector = this.#dissectors.get(event.conn);
    if (!dissector) {
      const protocol = this.#protocolOf(event);
      if (!dissectorReady(protocol) || this.#waiting.length > 0) {
        if (this.#waiting.push({ event, context }) === 1) {
          void loadBinaryDissectors().then(() => {
            const waiting = this.#waiting;
            this.#waiting = [];
            for (const held of waiting) this.#dissect(held.event, held.context);
            this.#pending |= wireChanged;
            this.announce();
          });
        }
        return;
      }
      this.#dissectors.set(event.conn, (dissector = createDissector(protocol)));
    }
    const key = `${event.conn}:${event.dir}`;
    const start = this.#offsets.get(key) ?? 0;
    this.#offsets.set(key, start + event.bytes.length);
    const streams = this.#streams.get(event.conn);
    for (const segment of dissector.push(event)) {
      if (context && !this.#keepContext(event.conn, segment)) continue;
      if (streams && segment.stream) {
        if (!streams.has(segment.stream)) continue;
        if (segment.exchange !== undefined)
          this.#ownExchanges.get(event.conn)?.add(segment.exchange) ?? this.#ownExchanges.set(event.conn, new Set([segment.exchange]));
      }
      const from = segment.offset - start;
      // The dissector's own object, given the lane's fields rather than copied: a long run keeps
      // tens of thousands of segments, and every object kept is work for each garbage collection.
      this.#segments.push(Object.assign(segment, { conn: event.conn, bytes: event.bytes.subarray(from, from + segment.length) }));
      if (segment.token !== undefined && segment.dir === 'down' && (segment.part === 'whole' || segment.part === 'last')) {
        this.#written.set(segment.token, segment.t);
        const received = this.#received.get(segment.token);
        if (received !== undefined) this.#tokenBound = Math.max(this.#tokenBound, segment.t - received);
      }
    }
  }

  addGeneration(record: GenerationRecord): void {
    this.#generation.push(record);
    this.#pending |= wireChanged;
  }

  addApp(event: AppEvent): void {
    this.#app.push(event);
    if (event.kind === 'token') {
      this.#tokens.push(event.text ?? '');
      if (event.index !== undefined) {
        this.#received.set(event.index, event.t);
        const written = this.#written.get(event.index);
        if (written !== undefined) this.#tokenBound = Math.max(this.#tokenBound, written - event.t);
      }
    }
    this.#totals.app.push(nextAppTotals(this.#totals.app.at(-1) ?? noAppTotals, event));
    this.#pending |= appChanged;
  }

  /** HTTP exchanges per connection, in connection order (for the headers panel); on HTTP/2, this lane's streams'. */
  exchanges(): { conn: number; exchanges: readonly Exchange[] }[] {
    void this.#wireVersion;
    return [...this.#dissectors].map(([conn, d]) => {
      const all = d.exchanges ?? [];
      if (!this.#streams.has(conn)) return { conn, exchanges: all };
      const ours = this.#ownExchanges.get(conn);
      return { conn, exchanges: all.filter((e) => ours?.has(e.index)) };
    });
  }

  /**
   * Which leaves of an earlier run's bytes a lane shows (see `addWire`): how the connection was
   * set up (TLS records in clear, the HTTP/2 preface and the frames before the first request),
   * not what it carried for others since (encrypted records, other streams).
   */
  #keepContext(conn: number, s: Segment): boolean {
    if (s.layer === 'tls') {
      const key = `${conn}:${s.dir}:${s.record}`;
      if (s.kind === 'tls-content-type' && s.label.endsWith('application_data')) this.#contextHidden.add(key);
      return !this.#contextHidden.has(key);
    }
    if (this.#contextHidden.has(`${conn}`)) return false;
    if (s.frameType === 'HEADERS') {
      this.#contextHidden.add(`${conn}`);
      return false;
    }
    return true;
  }

  /** What a connection speaks: what the tap said (ALPN, the TLS layer), else what its first bytes up look like. */
  #protocolOf(event: WireEvent): WireProtocol {
    const info = this.#conns.get(event.conn);
    if (info?.layer === 'tls') return 'tls';
    if (info?.protocol === 'h2') return 'h2';
    if (info?.protocol === 'http/1.1') return 'http1';
    return (event.dir === 'up' ? sniffProtocol(event.bytes) : undefined) ?? 'http1';
  }

  /**
   * The server instances that answered this lane, in order, from each response's
   * `X-Streamscope-Instance` header (the load-balancer lab names them); `answeredBy(t)` keeps the
   * responses whose head arrived by server time `t`.
   */
  instances(answeredBy: (t: number) => boolean = () => true): string[] {
    return this.#answered(instanceHeader, answeredBy);
  }

  /** The replies this lane's responses named, in order (`X-Streamscope-Reply`): a resume that changed reply shows here. */
  replies(answeredBy: (t: number) => boolean = () => true): string[] {
    return this.#answered(replyHeader, answeredBy);
  }

  /** Header `name` of each response whose head arrived by server time `t` (`answeredBy(t)`), in connection order. */
  #answered(name: string, answeredBy: (t: number) => boolean): string[] {
    const seen: string[] = [];
    const lower = name.toLowerCase();
    for (const { exchanges } of this.exchanges()) {
      for (const { response } of exchanges) {
        if (!response || !answeredBy(response.t)) continue;
        const value = response.headers.find((h) => h.name.toLowerCase() === lower)?.value;
        if (value) seen.push(value);
      }
    }
    return seen;
  }
}
