import { ElementBuffer, subPiece } from './spans.ts';
import type { Piece, Span } from './spans.ts';

const CR = 0x0d;
const LF = 0x0a;

export interface Line {
  /** The line including its terminator. */
  bytes: Uint8Array;
  /** Length of the terminator: 2 (CRLF), 1 (LF or CR), 0 (unterminated, at end of stream). */
  eol: number;
  spans: Span[];
}

/**
 * Splits a byte stream into lines, one piece at a time, so a line may arrive across many reads.
 *
 * - `http`: a line ends at LF and a CR just before it belongs to the terminator; RFC 9112 §2.2
 *   lets a recipient accept a bare LF. https://www.rfc-editor.org/rfc/rfc9112#section-2.2
 * - `sse`: a line ends at CRLF, LF or a lone CR (WHATWG HTML §9.2.6 `end-of-line`). A CR at the
 *   end of a piece waits for the next byte, which tells whether an LF completes it.
 *   https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
 */
export class LineReader {
  readonly mode: 'http' | 'sse';
  #buf = new ElementBuffer();
  #afterCr = false;

  constructor(mode: 'http' | 'sse') {
    this.mode = mode;
  }

  /** Reads from `p` until one line is complete or `p` is used up. */
  read(p: Piece): { used: number; line?: Line } {
    const b = p.bytes;
    if (this.#afterCr) {
      this.#afterCr = false;
      if (b[0] === LF) {
        this.#buf.add(subPiece(p, 0, 1));
        return { used: 1, line: this.#take(2) };
      }
      return { used: 0, line: this.#take(1) };
    }
    if (this.mode === 'http') {
      const i = b.indexOf(LF);
      if (i < 0) {
        this.#buf.add(p);
        return { used: b.length };
      }
      this.#buf.add(subPiece(p, 0, i + 1));
      const line = this.#take(1);
      if (line.bytes.length >= 2 && line.bytes[line.bytes.length - 2] === CR) line.eol = 2;
      return { used: i + 1, line };
    }
    for (let i = 0; i < b.length; i++) {
      const c = b[i];
      if (c === LF) {
        this.#buf.add(subPiece(p, 0, i + 1));
        return { used: i + 1, line: this.#take(1) };
      }
      if (c !== CR) continue;
      if (i + 1 === b.length) {
        this.#buf.add(p);
        this.#afterCr = true;
        return { used: b.length };
      }
      const crlf = b[i + 1] === LF;
      const end = i + (crlf ? 2 : 1);
      this.#buf.add(subPiece(p, 0, end));
      return { used: end, line: this.#take(crlf ? 2 : 1) };
    }
    this.#buf.add(p);
    return { used: b.length };
  }

  /** At the end of the stream: the partial line, if any (a pending lone CR still ends a line). */
  end(): Line | undefined {
    if (this.#afterCr) {
      this.#afterCr = false;
      return this.#take(1);
    }
    return this.#buf.length > 0 ? this.#take(0) : undefined;
  }

  /** Wire offset of the first byte of the partial line, if any. */
  heldFrom(): number | undefined {
    return this.#buf.start;
  }

  #take(eol: number): Line {
    const { bytes, spans } = this.#buf.take();
    return { bytes, eol, spans };
  }
}
