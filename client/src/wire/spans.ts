/**
 * Bookkeeping that lets every layer say where its bytes sit on the wire, so that an element
 * (a header line, an SSE line inside chunks, a WebSocket payload) can be cut into leaves that
 * each belong to one tap event.
 */

/** Bytes handed from one layer to the next, with their place on the wire. */
export interface Piece {
  bytes: Uint8Array;
  /** Wire offset of `bytes[0]` in its direction's stream. */
  offset: number;
  t: number;
  /** Index of the event that carried these bytes. */
  event: number;
  /** For content inside a chunked body: the chunk these bytes are data of. */
  chunk?: number;
}

/** A run of wire bytes from one event (and one chunk): one future leaf. */
export interface Span {
  offset: number;
  length: number;
  t: number;
  event: number;
  chunk?: number;
}

/** `p` from byte `start` to `end` (views, no copy). */
export function subPiece(p: Piece, start: number, end: number = p.bytes.length): Piece {
  return { ...p, bytes: p.bytes.subarray(start, end), offset: p.offset + start };
}

/** An element's bytes, gathered piece by piece; copied once, by `take()`. */
export class ElementBuffer {
  #parts: Uint8Array[] = [];
  #spans: Span[] = [];
  length = 0;

  add(p: Piece): void {
    const n = p.bytes.length;
    if (n === 0) return;
    this.#parts.push(p.bytes);
    this.length += n;
    const last = this.#spans.at(-1);
    if (last && last.event === p.event && last.chunk === p.chunk && last.offset + last.length === p.offset) {
      last.length += n;
    } else {
      this.#spans.push({ offset: p.offset, length: n, t: p.t, event: p.event, chunk: p.chunk });
    }
  }

  /** Wire offset of the first byte held, if any. */
  get start(): number | undefined {
    return this.#spans[0]?.offset;
  }

  /** The bytes and spans gathered so far; empties the buffer. */
  take(): { bytes: Uint8Array; spans: Span[] } {
    const bytes = concat(this.#parts, this.length);
    const spans = this.#spans;
    this.#parts = [];
    this.#spans = [];
    this.length = 0;
    return { bytes, spans };
  }
}

export function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The spans covering bytes `start` to `end` of an element laid out as `spans`. */
export function sliceSpans(spans: readonly Span[], start: number, end: number): Span[] {
  const out: Span[] = [];
  let at = 0;
  for (const s of spans) {
    const from = Math.max(start, at);
    const to = Math.min(end, at + s.length);
    if (from < to) out.push({ ...s, offset: s.offset + (from - at), length: to - from });
    at += s.length;
    if (at >= end) break;
  }
  return out;
}
