import { textual, type ContentConsumer } from './body.ts';
import { plural, shorten } from './format.ts';
import { SegmentSink } from './segmentSink.ts';
import type { LeafInfo, PieceExtra } from './segmentSink.ts';
import { ElementBuffer } from './spans.ts';
import type { Piece, Span } from './spans.ts';

/**
 * A sink for one HTTP/2 stream's content in one direction: passes leaves on to the direction's
 * sink, tagged with the stream, its exchange, and the DATA frame each piece arrived in. Content
 * parsers (the SSE parser) take a `SegmentSink`, so this is one.
 */
export class StreamSink extends SegmentSink {
  #target: SegmentSink;
  #stream: number;
  #frameAt: (offset: number) => number | undefined;

  constructor(target: SegmentSink, ids: { next: number }, stream: number, exchange: number | undefined, frameAt: (offset: number) => number | undefined) {
    super(target.dir, ids);
    this.#target = target;
    this.#stream = stream;
    this.exchange = exchange;
    this.#frameAt = frameAt;
  }

  override emit(spans: readonly Span[], info: LeafInfo, extra?: PieceExtra): void {
    const frames = spans.map((s) => this.#frameAt(s.offset));
    let i = 0;
    const saved = this.#target.exchange;
    this.#target.exchange = this.exchange;
    this.#target.emit(spans, { ...info, stream: this.#stream }, (start, end) => {
      const frame = frames[i++];
      return { ...extra?.(start, end), ...(frame !== undefined ? { frame } : {}) };
    });
    this.#target.exchange = saved;
  }

  override release(): never {
    throw new Error('StreamSink: leaves are released by the sink it forwards to');
  }
}

/**
 * DATA payloads not dissected further (not an event stream): one leaf per frame, text decoded
 * with one streaming decoder per stream so a character split between frames shows whole.
 */
export class Http2Body implements ContentConsumer {
  #sink: SegmentSink;
  #buf = new ElementBuffer();
  #decoder: TextDecoder | undefined;
  #type: string;
  #coding: string | undefined;

  constructor(sink: SegmentSink, contentType: string | undefined, coding: string | undefined) {
    this.#sink = sink;
    this.#type = contentType?.split(';')[0]?.trim() ?? '';
    this.#coding = coding;
    if (coding === undefined && (contentType === undefined || textual.test(this.#type))) this.#decoder = new TextDecoder();
  }

  feed(p: Piece): void {
    this.#buf.add(p);
  }

  unitEnd(final = false): void {
    const { bytes, spans } = this.#buf.take();
    if (spans.length === 0) return;
    const text = this.#decoder?.decode(bytes, { stream: !final });
    const of = this.#type ? ` of ${this.#type}` : '';
    this.#sink.emit(spans, {
      layer: 'h2',
      kind: 'h2-data',
      label: `DATA payload: ${plural(bytes.length, 'byte')}${of}${this.#coding ? `, ${this.#coding}-compressed` : text ? ` ${JSON.stringify(shorten(text, 24))}` : ''}`,
      explain:
        'A piece of the body. HTTP/2 needs no Content-Length or chunked coding on the wire: the frame header says how many bytes this DATA frame ' +
        'carries, and END_STREAM marks the last one (RFC 9113 §6.1, §8.1).',
      ...(text !== undefined ? { text } : {}),
    });
  }

  heldFrom(): number | undefined {
    return this.#buf.start;
  }

  end(): void {
    const { bytes, spans } = this.#buf.take();
    this.#sink.emit(spans, {
      layer: 'h2',
      kind: 'incomplete',
      label: `incomplete DATA payload, ${plural(bytes.length, 'byte')}`,
      explain: 'Part of a DATA frame: the connection ended, or the recording stops, before the rest of the frame arrived.',
    });
  }
}
