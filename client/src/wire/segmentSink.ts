import type { Direction, Part, Segment } from './types.ts';
import type { Span } from './spans.ts';

/** What a parser says about an element; the sink adds where its pieces sit and when they arrived. */
export type LeafInfo = Omit<Segment, 'dir' | 'offset' | 'length' | 't' | 'event' | 'element' | 'part' | 'exchange' | 'unmasked'>;

/** Extra fields for one piece, given its byte range within the element. */
export type PieceExtra = (start: number, end: number) => Partial<Segment>;

/**
 * Turns elements into leaves for one direction and releases them in byte order.
 *
 * Parsers emit an element when it is complete, and inner layers can complete later than outer
 * ones: an SSE line that spans two chunks completes after the chunk framing between its pieces.
 * So leaves wait here until every byte before them is classified — the caller passes that point
 * as the watermark (the first byte some parser still holds, or the end of the stream).
 */
export class SegmentSink {
  readonly dir: Direction;
  /** The HTTP exchange that leaves emitted from now on belong to. */
  exchange: number | undefined;
  #ids: { next: number };
  #pending: Segment[] = [];

  /** `ids` is shared by both directions so element ids are unique per connection. */
  constructor(dir: Direction, ids: { next: number }) {
    this.dir = dir;
    this.#ids = ids;
  }

  emit(spans: readonly Span[], info: LeafInfo, extra?: PieceExtra): void {
    if (spans.length === 0) return;
    const element = this.#ids.next++;
    const { payloadBytes, ...shared } = info;
    let at = 0;
    const fresh = spans.map((s, i): Segment => {
      const last = i === spans.length - 1;
      const part: Part = spans.length === 1 ? 'whole' : i === 0 ? 'first' : last ? 'last' : 'middle';
      const seg: Segment = {
        dir: this.dir,
        offset: s.offset,
        length: s.length,
        t: s.t,
        event: s.event,
        element,
        part,
        exchange: this.exchange,
        chunk: s.chunk,
        ...shared,
        ...(last && payloadBytes !== undefined ? { payloadBytes } : {}),
        ...extra?.(at, at + s.length),
      };
      at += s.length;
      return seg;
    });
    this.#insert(fresh);
  }

  /** Leaves that start before `watermark`, in byte order; they leave the sink. */
  release(watermark: number): Segment[] {
    let n = 0;
    while (n < this.#pending.length && (this.#pending[n]?.offset ?? Infinity) < watermark) n++;
    return n === 0 ? [] : this.#pending.splice(0, n);
  }

  /** Merges `fresh` (in byte order) into the pending leaves; usually they all go at the end. */
  #insert(fresh: Segment[]): void {
    const pending = this.#pending;
    const first = fresh[0];
    if (!first) return;
    if ((pending.at(-1)?.offset ?? -1) < first.offset) {
      for (const seg of fresh) pending.push(seg);
      return;
    }
    const merged: Segment[] = [];
    let i = 0;
    for (const seg of fresh) {
      while (i < pending.length && (pending[i]?.offset ?? 0) < seg.offset) merged.push(pending[i++] as Segment);
      merged.push(seg);
    }
    while (i < pending.length) merged.push(pending[i++] as Segment);
    this.#pending = merged;
  }
}
