import type { BodyReader, ContentConsumer } from './body.ts';
import { decodeUtf8, plural, shorten } from './format.ts';
import { LineReader } from './lineReader.ts';
import type { Line } from './lineReader.ts';
import type { SegmentSink } from './segmentSink.ts';
import { ElementBuffer, subPiece } from './spans.ts';
import type { Piece } from './spans.ts';

/** `chunk-size [ chunk-ext ]`: hex digits, then optional `;name=value` extensions (RFC 9112 §7.1.1). */
const sizeLine = /^([0-9A-Fa-f]+)[ \t]*(;.*)?$/;

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';

/**
 * The chunked transfer coding, RFC 9112 §7.1:
 * `*chunk last-chunk trailer-section CRLF`, where `chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF`.
 * Annotates the framing and hands each chunk's data, tagged with the chunk's ordinal, to `content`.
 * https://www.rfc-editor.org/rfc/rfc9112#section-7.1
 */
export class ChunkedDecoder implements BodyReader {
  #sink: SegmentSink;
  #content: ContentConsumer;
  #state: State = 'size';
  #lines = new LineReader('http');
  #crlf = new ElementBuffer();
  #remaining = 0;
  #chunk = 0;

  constructor(sink: SegmentSink, content: ContentConsumer) {
    this.#sink = sink;
    this.#content = content;
  }

  feed(p: Piece): { used: number; done: boolean; error?: true } {
    let used = 0;
    while (used < p.bytes.length && this.#state !== 'done') {
      const rest = subPiece(p, used);
      if (this.#state === 'data') {
        const n = Math.min(this.#remaining, rest.bytes.length);
        this.#content.feed({ ...subPiece(rest, 0, n), chunk: this.#chunk });
        this.#remaining -= n;
        used += n;
        if (this.#remaining === 0) {
          this.#content.unitEnd();
          this.#state = 'data-crlf';
        }
      } else if (this.#state === 'data-crlf') {
        const n = Math.min(2 - this.#crlf.length, rest.bytes.length);
        this.#crlf.add(subPiece(rest, 0, n));
        used += n;
        if (this.#crlf.length === 2 && !this.#dataCrlf()) return { used, done: false, error: true };
      } else {
        const r = this.#lines.read(rest);
        used += r.used;
        if (r.line && !this.#line(r.line)) return { used, done: false, error: true };
      }
    }
    return { used, done: this.#state === 'done' };
  }

  heldFrom(): number | undefined {
    const held = [this.#lines.heldFrom(), this.#crlf.start, this.#content.heldFrom()];
    const offsets = held.filter((o) => o !== undefined);
    return offsets.length > 0 ? Math.min(...offsets) : undefined;
  }

  end(): void {
    const line = this.#lines.end();
    const crlf = this.#crlf.take();
    const spans = line?.spans ?? crlf.spans;
    this.#content.end();
    if (spans.length === 0) return;
    this.#sink.emit(spans, {
      layer: 'chunked',
      kind: 'incomplete',
      label: 'incomplete chunk framing',
      explain: 'Chunked framing cut short: the stream ended, or the recording stops here (RFC 9112 §7.1).',
    });
  }

  /** The 2 bytes after a chunk's data must be CRLF. */
  #dataCrlf(): boolean {
    const { bytes, spans } = this.#crlf.take();
    const ok = bytes[0] === 0x0d && bytes[1] === 0x0a;
    this.#sink.emit(spans, {
      layer: 'chunked',
      kind: ok ? 'chunk-crlf' : 'error',
      label: ok ? `CRLF after chunk ${this.#chunk}` : 'expected CRLF after chunk data',
      explain: ok
        ? "The CRLF that closes a chunk's data; the next chunk-size line follows (RFC 9112 §7.1)."
        : 'Chunk data must be followed by CRLF; these bytes are not, so the size line was wrong (RFC 9112 §7.1).',
      chunk: this.#chunk,
    });
    this.#state = 'size';
    return ok;
  }

  #line(line: Line): boolean {
    const text = decodeUtf8(line.bytes.subarray(0, line.bytes.length - line.eol));
    if (this.#state === 'trailer') {
      const end = text === '';
      this.#sink.emit(line.spans, {
        layer: 'chunked',
        kind: end ? 'chunk-end' : 'trailer',
        label: end ? 'empty line: end of chunked body' : `trailer ${shorten(text)}`,
        explain: end
          ? 'The empty line after the last chunk (and any trailer fields): the response is complete (RFC 9112 §7.1).'
          : 'A trailer field: a header sent after the body (RFC 9112 §7.1.2).',
      });
      if (end) this.#state = 'done';
      return true;
    }
    const m = sizeLine.exec(text);
    const hex = m?.[1] ?? '';
    const size = parseInt(hex, 16);
    if (!m || !Number.isSafeInteger(size)) {
      this.#sink.emit(line.spans, {
        layer: 'chunked',
        kind: 'error',
        label: 'not a chunk-size line',
        explain: 'A chunk must start with its size in hexadecimal and CRLF; this line does not (RFC 9112 §7.1).',
        text,
      });
      return false;
    }
    const ext = m[2] ? ` (extension ${m[2]})` : '';
    if (size === 0) {
      this.#sink.emit(line.spans, {
        layer: 'chunked',
        kind: 'chunk-last',
        label: `last chunk: size 0${ext}`,
        explain: 'A chunk of size 0 is the last chunk: the body is over, only optional trailer fields and an empty line follow (RFC 9112 §7.1).',
      });
      this.#state = 'trailer';
      this.#content.end();
      return true;
    }
    this.#chunk++;
    this.#sink.emit(line.spans, {
      layer: 'chunked',
      kind: 'chunk-size',
      label: `chunk size 0x${hex} = ${plural(size, 'byte')}${ext}`,
      explain: `Chunk-size line: the length of the data that follows (${size} bytes) in hexadecimal, then CRLF; Node sends one chunk per res.write() (RFC 9112 §7.1).`,
      chunk: this.#chunk,
    });
    this.#remaining = size;
    this.#state = 'data';
    return true;
  }
}
