import { ExchangeLog } from './exchangeLog.ts';
import { HttpStream } from './httpStream.ts';
import { SegmentSink } from './segmentSink.ts';
import { addToSummary, emptySummary } from './summary.ts';
import type { ByteEvent, Direction, Exchange, Segment, WireSummary } from './types.ts';

const directions: readonly Direction[] = ['up', 'down'];

/**
 * Dissects one TCP connection incrementally: push each tap event as it arrives, get back the
 * leaves it completed. Each byte is looked at a constant number of times, so a live run costs
 * O(total bytes).
 *
 * A leaf is returned once every byte before it in its direction is classified; bytes of an
 * element still open (a header line without its CRLF yet, half a WebSocket frame) wait, and
 * come back later with the time of the event that carried them. `pending(dir)` says how many.
 */
export class ConnectionDissector {
  #ids = { next: 0 };
  #sinks: Record<Direction, SegmentSink> = {
    up: new SegmentSink('up', this.#ids),
    down: new SegmentSink('down', this.#ids),
  };
  #log = new ExchangeLog((answer) => this.#streams.up.resolve(answer));
  #streams: Record<Direction, HttpStream> = {
    up: new HttpStream(this.#sinks.up, this.#log),
    down: new HttpStream(this.#sinks.down, this.#log),
  };
  #received: Record<Direction, number> = { up: 0, down: 0 };
  #events = 0;
  #ended = false;
  #segments: Segment[] = [];
  #summary = emptySummary();

  /** Feeds one event; returns the new leaves, in byte order within each direction. */
  push(event: ByteEvent): Segment[] {
    if (this.#ended) throw new Error('ConnectionDissector: push() after end()');
    const index = this.#events++;
    const offset = this.#received[event.dir];
    this.#received[event.dir] += event.bytes.length;
    if (event.bytes.length > 0) {
      this.#streams[event.dir].feed({ bytes: event.bytes, offset, t: event.t, event: index });
    }
    return this.#release(false);
  }

  /**
   * The connection closed (or the recording stops): annotates the bytes still held as
   * `incomplete` (or `opaque`) and returns the last leaves. After this every byte is in a leaf.
   */
  end(): Segment[] {
    if (this.#ended) return [];
    this.#ended = true;
    for (const dir of directions) this.#streams[dir].end();
    return this.#release(true);
  }

  /** Every leaf released so far, in release order. */
  get segments(): readonly Segment[] {
    return this.#segments;
  }

  /** Requests and responses so far; a head appears once its empty line has arrived. */
  get exchanges(): readonly Exchange[] {
    return this.#log.list;
  }

  /** Figures over the leaves released so far. */
  get summary(): WireSummary {
    return this.#summary;
  }

  /** Bytes received in `dir` that are not in a released leaf yet: from `offset`, `length` bytes. */
  pending(dir: Direction): { offset: number; length: number } {
    const offset = this.#watermark(dir);
    return { offset, length: this.#received[dir] - offset };
  }

  #watermark(dir: Direction): number {
    return this.#ended ? this.#received[dir] : (this.#streams[dir].heldFrom() ?? this.#received[dir]);
  }

  #release(final: boolean): Segment[] {
    const out: Segment[] = [];
    for (const dir of directions) {
      const leaves = this.#sinks[dir].release(final ? Infinity : this.#watermark(dir));
      for (const leaf of leaves) out.push(leaf);
    }
    for (const leaf of out) this.#segments.push(leaf);
    addToSummary(this.#summary, out);
    return out;
  }
}

/** Everything about one connection at once, e.g. from a recording or a fixture. */
export function dissectConnection(events: Iterable<ByteEvent>): {
  segments: Segment[];
  exchanges: Exchange[];
  summary: WireSummary;
} {
  const d = new ConnectionDissector();
  for (const event of events) d.push(event);
  d.end();
  return { segments: [...d.segments], exchanges: [...d.exchanges], summary: d.summary };
}

/** The leaves of one connection's events, as if it had closed after the last one. */
export function dissect(events: Iterable<ByteEvent>): Segment[] {
  return dissectConnection(events).segments;
}
