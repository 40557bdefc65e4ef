import { decodeUtf8, plural, readJson, shorten, utf8Length } from './format.ts';
import type { SegmentSink } from './segmentSink.ts';
import { ElementBuffer, subPiece } from './spans.ts';
import type { Piece, Span } from './spans.ts';
import { jsonName, replyTextOf } from './tokens.ts';

/**
 * What a message body's content goes to once its framing is taken off: the SSE parser, or
 * `RawContent`. The framing layer (Content-Length, chunked, until close) calls `unitEnd()` at the
 * end of each unit it delimits — a chunk's data, or the whole body.
 */
export interface ContentConsumer {
  feed(p: Piece): void;
  /** `final`: no more content follows in this body. */
  unitEnd(final?: boolean): void;
  heldFrom(): number | undefined;
  /** The body or the stream ended: annotate whatever is held. */
  end(): void;
}

/** A message body's framing: reads its bytes and reports when the body is over. */
export interface BodyReader {
  feed(p: Piece): { used: number; done: boolean; error?: true };
  heldFrom(): number | undefined;
  end(): void;
}

/** Types whose bytes are worth showing as text (an HTTP/1.1 body, an HTTP/2 DATA payload). */
export const textual = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded)\b)/i;

/**
 * Content not dissected further: one leaf per unit, `chunk-data` for each chunk, `body` for a
 * Content-Length body. Text is decoded with one streaming decoder per body, so a UTF-8
 * character split between two chunks shows whole in the second. A body with a content coding
 * (`gzip`, `br`) is compressed bytes, not text of its type: its leaves say so, and carry no text.
 */
export class RawContent implements ContentConsumer {
  #sink: SegmentSink;
  #kind: 'body' | 'chunk-data';
  #buf = new ElementBuffer();
  #decoder: TextDecoder | undefined;
  #type: string;
  #coding: string | undefined;

  /** `coding`: the body's content coding (`gzip`), if it has one other than identity. */
  constructor(sink: SegmentSink, kind: 'body' | 'chunk-data', contentType: string | undefined, coding?: string) {
    this.#sink = sink;
    this.#kind = kind;
    this.#type = contentType?.split(';')[0]?.trim() ?? '';
    this.#coding = coding;
    if (coding === undefined && (contentType === undefined || textual.test(this.#type))) this.#decoder = new TextDecoder();
  }

  feed(p: Piece): void {
    this.#buf.add(p);
  }

  unitEnd(final = false): void {
    this.#flush(false, final);
  }

  heldFrom(): number | undefined {
    return this.#buf.start;
  }

  end(): void {
    this.#flush(true, true);
  }

  #flush(cut: boolean, final: boolean): void {
    const { bytes, spans } = this.#buf.take();
    if (spans.length === 0) return;
    const size = plural(bytes.length, 'byte');
    const chunk = this.#kind === 'chunk-data';
    if (this.#coding !== undefined && !cut) return this.#emitCoded(spans, size, chunk, this.#coding);
    const text = this.#decoder?.decode(bytes, { stream: !final });
    const json = cut || text === undefined ? undefined : readJson(text);
    const reply = replyTextOf(json);
    const what = jsonName(json);
    this.#sink.emit(spans, {
      layer: chunk ? 'chunked' : 'body',
      kind: cut ? 'incomplete' : this.#kind,
      label: cut
        ? `incomplete ${chunk ? 'chunk data' : 'body'}, ${size}`
        : `${chunk ? 'chunk data' : 'body'}: ${size}${this.#type ? ` of ${this.#type}` : ''}${what ? ` (${what})` : ''}`,
      explain: cut
        ? 'Body bytes before the stream ended (or the recording stops): fewer than the framing announced.'
        : chunk
          ? 'Chunk data: exactly as many bytes as the size line announced (RFC 9112 §7.1).'
          : reply !== undefined
            ? 'The whole reply in one body, sent only once it was complete: nothing reaches the page before this (RFC 9112 §6.2).'
            : 'The body: Content-Length says how many bytes it has, or without it the connection closing ends it (RFC 9112 §6.3).',
      ...(text !== undefined ? { text } : {}),
      ...(reply !== undefined ? { payloadBytes: utf8Length(reply) } : {}),
    });
  }

  /** A unit of a body with a content coding: compressed bytes, not text of the body's type. */
  #emitCoded(spans: Span[], size: string, chunk: boolean, coding: string): void {
    this.#sink.emit(spans, {
      layer: chunk ? 'chunked' : 'body',
      kind: this.#kind,
      label: `${chunk ? 'chunk data' : 'body'}: ${size}${this.#type ? ` of ${this.#type}` : ''}, ${coding}-compressed`,
      explain:
        `Compressed with ${coding} (Content-Encoding): these bytes are not ${this.#type || 'the body'} yet, the browser decompresses them before ` +
        "the page sees anything, and a compressor keeps small writes until it has a block's worth or is flushed (RFC 9110 §8.4.1).",
    });
  }
}

/** A body of exactly `length` bytes (RFC 9112 §6.2). */
export class LengthBody implements BodyReader {
  #remaining: number;
  #content: ContentConsumer;

  constructor(length: number, content: ContentConsumer) {
    this.#remaining = length;
    this.#content = content;
  }

  feed(p: Piece): { used: number; done: boolean } {
    const n = Math.min(this.#remaining, p.bytes.length);
    if (n > 0) this.#content.feed(subPiece(p, 0, n));
    this.#remaining -= n;
    if (this.#remaining > 0) return { used: n, done: false };
    this.#content.unitEnd(true);
    this.#content.end();
    return { used: n, done: true };
  }

  heldFrom(): number | undefined {
    return this.#content.heldFrom();
  }

  end(): void {
    this.#content.end();
  }
}

/** A response body that ends when the connection closes (RFC 9112 §6.3, rule 8): one unit per read. */
export class CloseBody implements BodyReader {
  #content: ContentConsumer;

  constructor(content: ContentConsumer) {
    this.#content = content;
  }

  feed(p: Piece): { used: number; done: boolean } {
    this.#content.feed(p);
    this.#content.unitEnd();
    return { used: p.bytes.length, done: false };
  }

  heldFrom(): number | undefined {
    return this.#content.heldFrom();
  }

  end(): void {
    this.#content.end();
  }
}

/** Bytes not dissected: one leaf per piece. */
export function emitOpaque(sink: SegmentSink, p: Piece, why: string): void {
  sink.emit([{ offset: p.offset, length: p.bytes.length, t: p.t, event: p.event }], {
    layer: 'body',
    kind: 'opaque',
    label: `${plural(p.bytes.length, 'byte')} not dissected`,
    explain: why,
    text: shorten(decodeUtf8(p.bytes), 200),
  });
}
