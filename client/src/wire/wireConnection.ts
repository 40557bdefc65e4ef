import { SegmentSink } from './segmentSink.ts';
import type { Piece } from './spans.ts';
import { addToSummary, emptySummary } from './summary.ts';
import type { ByteEvent, Direction, Segment, WireSummary } from './types.ts';

const directions: readonly Direction[] = ['up', 'down'];

/** One direction's parser, as a connection drives it. */
export interface DirectionParser {
  feed(p: Piece): void;
  /** Wire offset of the first byte it still holds (not yet in an emitted leaf), if any. */
  heldFrom(): number | undefined;
  /** The stream ended: annotate whatever is held. */
  end(): void;
}

/**
 * The push/end machinery `ConnectionDissector` has, for any pair of direction parsers: numbers
 * the events, hands each one's bytes to its direction's parser, and releases leaves in byte
 * order once every byte before them is classified. The HTTP/2 and TLS dissectors build on it.
 */
export class WireConnection {
  /** Shared by both directions so element ids are unique per connection. */
  protected readonly ids = { next: 0 };
  protected readonly sinks: Record<Direction, SegmentSink> = {
    up: new SegmentSink('up', this.ids),
    down: new SegmentSink('down', this.ids),
  };
  #parsers: Record<Direction, DirectionParser> | undefined;
  #received: Record<Direction, number> = { up: 0, down: 0 };
  #events = 0;
  #ended = false;
  #segments: Segment[] = [];
  #summary = emptySummary();
  #name: string;

  constructor(name: string) {
    this.#name = name;
  }

  /** Called once by the subclass's constructor, after its own fields exist. */
  protected attach(parsers: Record<Direction, DirectionParser>): void {
    this.#parsers = parsers;
  }

  /** Feeds one event; returns the new leaves, in byte order within each direction. */
  push(event: ByteEvent): Segment[] {
    if (this.#ended) throw new Error(`${this.#name}: push() after end()`);
    const index = this.#events++;
    const offset = this.#received[event.dir];
    this.#received[event.dir] += event.bytes.length;
    if (event.bytes.length > 0) this.#parser(event.dir).feed({ bytes: event.bytes, offset, t: event.t, event: index });
    return this.#release(false);
  }

  /** The connection closed (or the recording stops): held bytes become `incomplete`; returns the last leaves. */
  end(): Segment[] {
    if (this.#ended) return [];
    this.#ended = true;
    for (const dir of directions) this.#parser(dir).end();
    return this.#release(true);
  }

  /** Every leaf released so far, in release order. */
  get segments(): readonly Segment[] {
    return this.#segments;
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

  #parser(dir: Direction): DirectionParser {
    if (!this.#parsers) throw new Error(`${this.#name}: no parsers attached`);
    return this.#parsers[dir];
  }

  #watermark(dir: Direction): number {
    return this.#ended ? this.#received[dir] : (this.#parser(dir).heldFrom() ?? this.#received[dir]);
  }

  #release(final: boolean): Segment[] {
    const out: Segment[] = [];
    for (const dir of directions) {
      for (const leaf of this.sinks[dir].release(final ? Infinity : this.#watermark(dir))) out.push(leaf);
    }
    for (const leaf of out) this.#segments.push(leaf);
    addToSummary(this.#summary, out);
    return out;
  }
}
