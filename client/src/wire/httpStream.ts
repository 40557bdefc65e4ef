import { CloseBody, LengthBody, RawContent, emitOpaque } from './body.ts';
import type { BodyReader, ContentConsumer } from './body.ts';
import { ChunkedDecoder } from './chunked.ts';
import { contentCoding } from './framing.ts';
import type { Framing } from './framing.ts';
import { HeadParser, headerValue } from './httpHead.ts';
import type { SegmentSink } from './segmentSink.ts';
import { subPiece } from './spans.ts';
import type { Piece } from './spans.ts';
import { SseParser } from './sse.ts';
import type { Direction, HttpHead } from './types.ts';
import { WebSocketParser } from './websocket.ts';

/** What follows a head: how its body is framed, whether it is SSE, and whether to wait for the answer to an upgrade. */
export interface Plan {
  framing: Framing;
  sse: boolean;
  hold: boolean;
}

/** The connection-wide view a direction needs: exchange numbering and the other direction's heads. */
export interface StreamHost {
  /** Ordinal of the exchange the next head in `dir` belongs to. */
  nextExchange(dir: Direction): number;
  /** A head is complete: record it and say what follows it. */
  head(dir: Direction, head: HttpHead): Plan;
}

type Mode = 'head' | 'body' | 'hold' | 'ws' | 'opaque';

/**
 * One direction of an HTTP/1.1 connection: heads and bodies in turn (keep-alive, RFC 9112 §9.3),
 * until a 101 hands it to WebSocket frames.
 *
 * After a request asking for an upgrade the client's next bytes mean nothing until the response
 * says yes (frames) or no (HTTP again, RFC 9110 §7.8), so they wait in `hold`.
 */
export class HttpStream {
  #sink: SegmentSink;
  #host: StreamHost;
  #mode: Mode = 'head';
  #head: HeadParser;
  #body: BodyReader | undefined;
  #ws: WebSocketParser | undefined;
  /** Whether the WebSocket handshake negotiated permessage-deflate (RFC 7692). */
  #wsDeflate = false;
  #held: Piece[] = [];
  #holdNext = false;
  #answer: Framing | undefined;
  #opaqueWhy = '';

  constructor(sink: SegmentSink, host: StreamHost) {
    this.#sink = sink;
    this.#host = host;
    this.#head = new HeadParser(sink);
    sink.exchange = host.nextExchange(sink.dir);
  }

  feed(p: Piece): void {
    let used = 0;
    while (used < p.bytes.length) {
      const rest = subPiece(p, used);
      const before = used;
      if (this.#mode === 'head') {
        const r = this.#head.feed(rest);
        used += r.used;
        if (r.error) this.#toOpaque('Bytes after something that is not HTTP: not dissected.');
        else if (r.head) this.#onHead(r.head);
      } else if (this.#mode === 'body' && this.#body) {
        const r = this.#body.feed(rest);
        used += r.used;
        if (r.error) this.#toOpaque('Bytes after broken body framing: not dissected.');
        else if (r.done) this.#afterMessage();
      } else if (this.#mode === 'hold') {
        this.#held.push(rest);
        return;
      } else if (this.#mode === 'ws' && this.#ws) {
        this.#ws.feed(rest);
        return;
      } else {
        emitOpaque(this.#sink, rest, this.#opaqueWhy);
        return;
      }
      // Head and body readers always take at least one byte; if one ever did not, show the rest
      // as opaque rather than hang the page.
      if (used === before) this.#toOpaque('Bytes the dissector could not place.');
    }
  }

  /** The answer to this direction's upgrade request arrived (called on the client's stream). */
  resolve(answer: Framing): void {
    if (this.#mode !== 'hold') {
      this.#answer = answer;
      return;
    }
    this.#mode = answer.type === 'websocket' ? 'ws' : answer.type === 'tunnel' ? 'opaque' : 'head';
    if (answer.type === 'websocket') this.#wsDeflate = answer.deflate === true;
    this.#start();
    const held = this.#held;
    this.#held = [];
    for (const p of held) this.feed(p);
  }

  heldFrom(): number | undefined {
    switch (this.#mode) {
      case 'head':
        return this.#head.heldFrom();
      case 'body':
        return this.#body?.heldFrom();
      case 'hold':
        return this.#held[0]?.offset;
      case 'ws':
        return this.#ws?.heldFrom();
      case 'opaque':
        return undefined;
    }
  }

  /** The stream ended: annotate whatever is held. */
  end(): void {
    if (this.#mode === 'head') this.#head.end();
    else if (this.#mode === 'body') this.#body?.end();
    else if (this.#mode === 'ws') this.#ws?.end();
    else if (this.#mode === 'hold') {
      for (const p of this.#held) emitOpaque(this.#sink, p, 'Bytes sent after an upgrade request, before any answer to it.');
      this.#held = [];
    }
  }

  #onHead(head: HttpHead): void {
    const plan = this.#host.head(this.#sink.dir, head);
    const { framing } = plan;
    this.#holdNext = plan.hold;
    const content = (kind: 'body' | 'chunk-data'): ContentConsumer =>
      plan.sse ? new SseParser(this.#sink) : new RawContent(this.#sink, kind, headerValue(head, 'content-type'), contentCoding(head));
    switch (framing.type) {
      case 'none':
        return this.#afterMessage();
      case 'length':
        this.#body = new LengthBody(framing.length, content('body'));
        break;
      case 'chunked':
        this.#body = new ChunkedDecoder(this.#sink, content('chunk-data'));
        break;
      case 'close':
        this.#body = new CloseBody(content('body'));
        break;
      case 'websocket':
        this.#mode = 'ws';
        this.#wsDeflate = framing.deflate === true;
        return this.#start();
      case 'tunnel':
        return this.#toOpaque('Bytes of the protocol this connection switched to: not dissected here.');
      case 'error':
        return this.#toOpaque(`The head has ${framing.why}, so where its body ends is unknown (RFC 9112 §6.3).`);
    }
    this.#mode = 'body';
  }

  #afterMessage(): void {
    this.#body = undefined;
    if (!this.#holdNext) {
      this.#mode = 'head';
      return this.#start();
    }
    this.#mode = 'hold';
    const answer = this.#answer;
    this.#answer = undefined;
    if (answer) this.resolve(answer);
  }

  /** Sets up the parser for the mode just entered. */
  #start(): void {
    if (this.#mode === 'head') {
      this.#head = new HeadParser(this.#sink);
      this.#sink.exchange = this.#host.nextExchange(this.#sink.dir);
    } else if (this.#mode === 'ws') {
      this.#ws = new WebSocketParser(this.#sink, { deflate: this.#wsDeflate });
    } else if (this.#mode === 'opaque') {
      this.#opaqueWhy = 'Bytes of the protocol this connection switched to: not dissected here.';
    }
  }

  #toOpaque(why: string): void {
    this.#mode = 'opaque';
    this.#opaqueWhy = why;
    this.#body = undefined;
  }
}
