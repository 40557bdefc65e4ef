import type { ContentConsumer } from './body.ts';
import { decodeUtf8KeepBom, quote, readJson, shorten, utf8Length } from './format.ts';
import { LineReader } from './lineReader.ts';
import type { Line } from './lineReader.ts';
import type { LeafInfo, SegmentSink } from './segmentSink.ts';
import { sliceSpans, subPiece } from './spans.ts';
import type { Piece, Span } from './spans.ts';
import { jsonName, tokenOf } from './tokens.ts';
import type { TokenCounter } from './tokens.ts';

const SPEC = 'WHATWG HTML §9.2.6';

/**
 * Reads a `text/event-stream` body line by line and annotates each line as the browser's
 * EventSource would interpret it: field lines, comments, and the blank line that dispatches an event
 * (or, after a block with no `data:`, dispatches nothing).
 * Lines are decoded whole, so a UTF-8 character split across reads or chunks decodes right.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export class SseParser implements ContentConsumer {
  #sink: SegmentSink;
  #lines = new LineReader('sse');
  #firstLine = true;
  /** Ordinal of the event block being read. */
  #block = 1;
  #eventType = '';
  #hasData = false;
  #blockToken: number | undefined;
  #counter: TokenCounter = { next: 0 };

  constructor(sink: SegmentSink) {
    this.#sink = sink;
  }

  feed(p: Piece): void {
    let used = 0;
    while (used < p.bytes.length) {
      const r = this.#lines.read(subPiece(p, used));
      used += r.used;
      if (r.line) this.#line(r.line);
    }
  }

  unitEnd(): void {}

  heldFrom(): number | undefined {
    return this.#lines.heldFrom();
  }

  end(): void {
    const line = this.#lines.end();
    if (!line) return;
    if (line.eol > 0) {
      this.#line(line);
      return;
    }
    this.#sink.emit(line.spans, {
      layer: 'sse',
      kind: 'incomplete',
      label: `unterminated line ${quote(decodeUtf8KeepBom(line.bytes))}`,
      explain: `A line with no line ending when the stream ended: the browser discards it, and any event not yet dispatched (${SPEC}).`,
      sseEvent: this.#block,
    });
  }

  #line(line: Line): void {
    let bytes = line.bytes;
    let spans: Span[] = line.spans;
    if (this.#firstLine && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      // One leading U+FEFF is stripped from the stream, once (WHATWG HTML §9.2.5, "UTF-8 decode").
      this.#emit(sliceSpans(spans, 0, 3), {
        layer: 'sse',
        kind: 'sse-bom',
        label: 'byte order mark',
        explain: `A UTF-8 byte order mark at the start of the stream: the browser skips it (${SPEC}).`,
      });
      spans = sliceSpans(spans, 3, bytes.length);
      bytes = bytes.subarray(3);
    }
    this.#firstLine = false;
    // Only the stream's first bytes may be a BOM; one later is a U+FEFF in the line's text.
    const text = decodeUtf8KeepBom(bytes.subarray(0, bytes.length - line.eol));
    if (text === '') return this.#dispatch(spans);
    if (text.startsWith(':')) {
      return this.#emit(spans, {
        layer: 'sse',
        kind: 'sse-comment',
        label: `comment ${quote(text.slice(1).trim())}`,
        explain: `A line starting with a colon is a comment the browser ignores; servers send them as heartbeats to keep proxies from closing an idle stream (${SPEC}).`,
        text: text.slice(1),
      });
    }
    const colon = text.indexOf(':');
    const name = colon < 0 ? text : text.slice(0, colon);
    const raw = colon < 0 ? '' : text.slice(colon + 1);
    const value = raw.startsWith(' ') ? raw.slice(1) : raw;
    this.#emit(spans, { layer: 'sse', kind: 'sse-field', name, text: value, ...this.#field(name, value) });
  }

  #field(name: string, value: string): Pick<LeafInfo, 'label' | 'explain' | 'token' | 'tokenText' | 'payloadBytes'> {
    switch (name) {
      case 'data':
        this.#hasData = true;
        return this.#data(value);
      case 'event':
        this.#eventType = value;
        return {
          label: `event: ${shorten(value)}`,
          explain: `Sets the event type: the browser fires a "${shorten(value, 20)}" event (addEventListener) instead of "message" (${SPEC}).`,
        };
      case 'id':
        return value.includes('\0')
          ? { label: 'id with NUL (ignored)', explain: `An id containing NUL is ignored (${SPEC}).` }
          : {
              label: `id: ${shorten(value)}`,
              explain: `Sets the last event ID; after a reconnect the browser sends it back as Last-Event-ID so the server can resume (${SPEC}).`,
            };
      case 'retry':
        return /^\d+$/.test(value)
          ? {
              label: `retry: ${value} ms`,
              explain: `Sets how long the browser waits before reconnecting if the stream drops (${SPEC}).`,
            }
          : { label: `retry: ${shorten(value)} (ignored)`, explain: `retry must be ASCII digits only; otherwise it is ignored (${SPEC}).` };
      default:
        return {
          label: `${shorten(name, 20)}: (unknown field, ignored)`,
          explain: `Only data, event, id and retry mean something; the browser ignores other fields (${SPEC}).`,
        };
    }
  }

  #data(value: string): Pick<LeafInfo, 'label' | 'explain' | 'token' | 'tokenText' | 'payloadBytes'> {
    if (value === '[DONE]') {
      return {
        label: 'data: [DONE]',
        explain: "OpenAI's end-of-stream marker: plain text, not JSON; clients stop reading when they see it.",
      };
    }
    const json = readJson(value);
    const token = tokenOf(json, this.#counter);
    if (!token && jsonName(json) === 'chat.completion.chunk') {
      const finish = (json as { choices?: { finish_reason?: unknown }[] }).choices?.[0]?.finish_reason;
      return {
        label: `data: chat.completion.chunk (${typeof finish === 'string' ? `finish_reason ${finish}` : 'no content'})`,
        explain: 'An OpenAI chat.completion.chunk without token text: the first one names the role, the last one says why the reply ended.',
      };
    }
    if (!token) {
      return {
        label: `data: ${shorten(value)}`,
        explain: `A data line: its value (after "data:" and one optional space) is added to the event's data (${SPEC}).`,
      };
    }
    this.#blockToken = token.index;
    const name = jsonName(json);
    return {
      label: `data: token ${token.index} ${quote(token.text, 24)}`,
      explain:
        name === 'chat.completion.chunk'
          ? `An OpenAI chat.completion.chunk: the token text travels JSON-encoded in choices[0].delta.content (${SPEC} framing).`
          : name === 'content_block_delta'
            ? `An Anthropic content_block_delta: the token text travels JSON-encoded in delta.text, and the event: line before it names the event (${SPEC} framing).`
            : `A data line carrying token ${token.index} as JSON; the blank line after it makes the browser fire the event (${SPEC}).`,
      token: token.index,
      tokenText: token.text,
      payloadBytes: utf8Length(token.text),
    };
  }

  #dispatch(spans: Span[]): void {
    const type = this.#eventType || 'message';
    const token = this.#blockToken;
    // An event whose data buffer is empty is not dispatched (WHATWG HTML §9.2.6, "dispatch the
    // event", step 2): the blank line after a `retry:`-only block or a comment only ends the block.
    this.#emit(
      spans,
      this.#hasData
        ? {
            layer: 'sse',
            kind: 'sse-dispatch',
            label: `blank line: dispatch "${shorten(type, 20)}"${token !== undefined ? ` (token ${token})` : ''}`,
            explain: `An empty line ends the event: the browser now fires it with the data gathered so far (${SPEC}).`,
          }
        : {
            layer: 'sse',
            kind: 'sse-block-end',
            label: 'blank line: ends the block; no data, so no event',
            explain: `An empty line ends the block, but no data: line came before it, so the browser dispatches no event; it clears the event type. An id: in the block still becomes the last event ID here, and a retry: took effect when it was read (${SPEC}).`,
          },
    );
    this.#block++;
    this.#eventType = '';
    this.#hasData = false;
    this.#blockToken = undefined;
  }

  #emit(spans: readonly Span[], info: LeafInfo): void {
    this.#sink.emit(spans, { ...info, sseEvent: this.#block });
  }
}
