import { decodeUtf8, shorten } from './format.ts';
import { headerNote } from './headerNotes.ts';
import { LineReader } from './lineReader.ts';
import type { Line } from './lineReader.ts';
import type { SegmentSink } from './segmentSink.ts';
import { subPiece } from './spans.ts';
import type { Piece } from './spans.ts';
import type { HttpHead, HttpHeader, RequestHead, ResponseHead } from './types.ts';

/** The value of header `name` (case-insensitive); repeated fields joined with `, ` (RFC 9110 §5.3). */
export function headerValue(head: { headers: readonly HttpHeader[] }, name: string): string | undefined {
  const lower = name.toLowerCase();
  const values = head.headers.filter((h) => h.name.toLowerCase() === lower).map((h) => h.value);
  return values.length > 0 ? values.join(', ') : undefined;
}

const requestLine = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/\d\.\d)$/;
const statusLine = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;

const startExplain = {
  request: 'The request line: method, target (path and query) and protocol version, then CRLF (RFC 9112 §3).',
  response: 'The status line: protocol version, status code and reason phrase, then CRLF (RFC 9112 §4).',
  101: 'The status line: 101 Switching Protocols — after the empty line that ends this head, the connection carries WebSocket frames, not HTTP (RFC 9110 §15.2.2).',
};

type Start = Omit<RequestHead, 'offset' | 'length' | 't' | 'headers'> | Omit<ResponseHead, 'offset' | 'length' | 't' | 'headers'>;

/**
 * Reads one HTTP/1.1 message head — start line, field lines, empty line — and annotates each
 * line as a leaf (RFC 9112 §2.1: `start-line *( field-line CRLF ) CRLF`).
 * https://www.rfc-editor.org/rfc/rfc9112#section-2.1
 */
export class HeadParser {
  #sink: SegmentSink;
  #lines = new LineReader('http');
  #start: Start | undefined;
  #headers: HttpHeader[] = [];
  #offset = 0;

  constructor(sink: SegmentSink) {
    this.#sink = sink;
  }

  /** Reads from `p` until the head is complete (`head`), broken (`error`), or `p` is used up. */
  feed(p: Piece): { used: number; head?: HttpHead; error?: true } {
    let used = 0;
    while (used < p.bytes.length) {
      const r = this.#lines.read(subPiece(p, used));
      used += r.used;
      if (!r.line) continue;
      const done = this.#line(r.line);
      if (done === 'error') return { used, error: true };
      if (done) return { used, head: done };
    }
    return { used };
  }

  heldFrom(): number | undefined {
    return this.#lines.heldFrom();
  }

  /** The stream ended: annotate a partial line. */
  end(): void {
    const line = this.#lines.end();
    if (!line) return;
    this.#sink.emit(line.spans, {
      layer: 'http',
      kind: 'incomplete',
      label: 'incomplete head line',
      explain: 'The bytes of a head line whose CRLF never came: the stream ended, or the recording stops here.',
    });
  }

  #line(line: Line): HttpHead | 'error' | undefined {
    const text = decodeUtf8(line.bytes.subarray(0, line.bytes.length - line.eol));
    const sink = this.#sink;
    const first = line.spans[0];
    if (!this.#start) {
      if (text === '' && sink.dir === 'up') {
        sink.emit(line.spans, {
          layer: 'http',
          kind: 'empty-line',
          label: 'empty line (ignored)',
          explain: 'An empty line before a request line: servers ignore it (RFC 9112 §2.2).',
        });
        return undefined;
      }
      const start = this.#parseStart(text);
      if (!start) {
        sink.emit(line.spans, {
          layer: 'http',
          kind: 'error',
          label: `not an HTTP ${sink.dir === 'up' ? 'request' : 'status'} line`,
          explain: 'These bytes should start an HTTP/1.1 message but do not; the rest of this direction is not dissected.',
          text,
        });
        return 'error';
      }
      this.#start = start;
      this.#offset = first?.offset ?? 0;
      sink.emit(line.spans, {
        layer: 'http',
        kind: start.type === 'request' ? 'request-line' : 'status-line',
        label: shorten(text, 60),
        explain: start.type === 'request' ? startExplain.request : start.status === 101 ? startExplain[101] : startExplain.response,
        text,
      });
      return undefined;
    }
    if (text === '') {
      sink.emit(line.spans, {
        layer: 'http',
        kind: 'head-end',
        label: 'empty line: end of head',
        explain: 'An empty line (CRLF) ends the head; the body, if any, starts with the next byte (RFC 9112 §2.1).',
      });
      const last = line.spans.at(-1);
      const end = last ? last.offset + last.length : this.#offset;
      const head = { ...this.#start, headers: this.#headers, offset: this.#offset, length: end - this.#offset, t: last?.t ?? 0 };
      this.#start = undefined;
      this.#headers = [];
      return head;
    }
    const prev = this.#headers.at(-1);
    if ((text.startsWith(' ') || text.startsWith('\t')) && prev) {
      // obs-fold: a continuation of the previous field value, obsolete (RFC 9112 §5.2).
      prev.value = `${prev.value} ${text.trim()}`;
      sink.emit(line.spans, {
        layer: 'http',
        kind: 'header',
        label: `(continues ${prev.name}) ${shorten(text.trim())}`,
        explain: 'A line starting with whitespace continues the previous field value; obsolete line folding (RFC 9112 §5.2).',
        name: prev.name,
        text: text.trim(),
      });
      return undefined;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) {
      sink.emit(line.spans, {
        layer: 'http',
        kind: 'error',
        label: 'malformed field line',
        explain: 'A head line without a colon: not a valid field line (RFC 9112 §5.1).',
        text,
      });
      return undefined;
    }
    const name = text.slice(0, colon);
    const value = text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    this.#headers.push({ name, value });
    const note = headerNote(name, value, sink.dir);
    sink.emit(line.spans, {
      layer: 'http',
      kind: 'header',
      label: `${name}: ${shorten(value)}${note.varying ? ' (varies)' : ''}`,
      explain: note.explain,
      name,
      text: value,
      ...(note.varying ? { varying: true } : {}),
    });
    return undefined;
  }

  #parseStart(text: string): Start | undefined {
    if (this.#sink.dir === 'up') {
      const m = requestLine.exec(text);
      if (!m) return undefined;
      const [, method = '', target = '', version = ''] = m;
      return { type: 'request', method, target, path: target.split('?')[0] ?? target, version };
    }
    const m = statusLine.exec(text);
    if (!m) return undefined;
    const [, version = '', status = '', reason = ''] = m;
    return { type: 'response', version, status: Number(status), reason };
  }
}
