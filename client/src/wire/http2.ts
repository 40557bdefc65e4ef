/**
 * An HTTP/2 connection, dissected (RFC 9113): the client's connection preface, then frames both
 * ways. Every frame header field is a leaf; header blocks are decoded with HPACK (one decoder
 * per direction, as each endpoint keeps one table per direction) and every field is a leaf;
 * DATA payloads go, per stream, to the event-stream (SSE) parser when the response is
 * `text/event-stream`, so an event split across DATA frames reads as one event.
 * https://www.rfc-editor.org/rfc/rfc9113
 */
import type { ContentConsumer } from './body.ts';
import { decodeUtf8, plural, quote, shorten } from './format.ts';
import { contentCoding, isEventStream } from './framing.ts';
import { Flag } from '../../../shared/h2Registry.ts';
import {
  FrameType,
  Setting,
  errorCodeMeaning,
  errorCodeName,
  flagMeaning,
  flagNamesOf,
  frameTypeMeaning,
  frameTypeName,
  settingMeaning,
  settingName,
} from './h2Names.ts';
import { HpackDecoder } from '../../../shared/hpack.ts';
import type { HpackField } from '../../../shared/hpack.ts';
import { headerValue } from './httpHead.ts';
import { Http2Body, StreamSink } from './http2Body.ts';
import type { LeafInfo, PieceExtra, SegmentSink } from './segmentSink.ts';
import { ElementBuffer, sliceSpans, subPiece } from './spans.ts';
import type { Piece, Span } from './spans.ts';
import { SseParser } from './sse.ts';
import type { ByteEvent, Direction, Exchange, HttpHeader, Segment, WireSummary } from './types.ts';
import { WireConnection } from './wireConnection.ts';
import type { DirectionParser } from './wireConnection.ts';
import { CLIENT_PREFACE } from './h2Preface.ts';

export { CLIENT_PREFACE };
const prefaceBytes = new TextEncoder().encode(CLIENT_PREFACE);

const DEFAULT_MAX_FRAME_SIZE = 16_384;

const other = (dir: Direction): Direction => (dir === 'up' ? 'down' : 'up');

interface Frame {
  /** Ordinal in this direction: 1 = the first frame. */
  no: number;
  length: number;
  type: number;
  flags: number;
  stream: number;
  /** Wire offset of the frame's first header byte, and one past its last payload byte. */
  start: number;
  end: number;
}

/** What the reader expects next: a field read whole, bytes passed on as they come, or the end of a frame. */
type Step =
  | { kind: 'fixed'; size: number; on: (bytes: Uint8Array, spans: Span[]) => void; what?: string }
  | { kind: 'stream'; size: number; on: (p: Piece) => void }
  | { kind: 'end'; on: () => void };

interface StreamState {
  /** Made when the stream's first header block starts (or a PUSH_PROMISE reserves it). */
  exchange?: Exchange;
  /** The response is `text/event-stream` without a content coding: its DATA goes to the SSE parser. */
  eventStream: boolean;
  contentType: Partial<Record<Direction, string>>;
  coding: Partial<Record<Direction, string>>;
  bodies: Partial<Record<Direction, ContentConsumer>>;
}

/** A header block being gathered from HEADERS / PUSH_PROMISE and CONTINUATION fragments. */
class HeaderBlock {
  readonly stream: number;
  /** For PUSH_PROMISE: the stream the promised request belongs to. */
  promised: number | undefined;
  readonly start: number;
  spans: Span[] = [];
  fields: HpackField[] = [];
  /** Bytes decoded so far, and how many the next field needs before trying again. */
  pos = 0;
  need = 0;
  broken: boolean;
  #bytes = new Uint8Array(64);
  length = 0;

  constructor(stream: number, start: number, broken: boolean) {
    this.stream = stream;
    this.start = start;
    this.broken = broken;
  }

  /** The frame each span's bytes came in (spans never merge across frames: frame headers sit between). */
  #frames: number[] = [];

  add(p: Piece, frame: number): void {
    const n = p.bytes.length;
    if (this.length + n > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.length + n));
      grown.set(this.#bytes.subarray(0, this.length));
      this.#bytes = grown;
    }
    this.#bytes.set(p.bytes, this.length);
    this.length += n;
    const last = this.spans.at(-1);
    if (last && last.event === p.event && last.offset + last.length === p.offset) last.length += n;
    else {
      this.spans.push({ offset: p.offset, length: n, t: p.t, event: p.event });
      this.#frames.push(frame);
    }
  }

  frameAt(offset: number): number | undefined {
    const i = this.spans.findIndex((s) => s.offset <= offset && offset < s.offset + s.length);
    return this.#frames[i];
  }

  get bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }

  /** Wire offset of the first byte not yet in a leaf. */
  heldFrom(): number | undefined {
    return this.pos < this.length ? sliceSpans(this.spans, this.pos, this.pos + 1)[0]?.offset : undefined;
  }
}

/** What both directions share: streams and their exchanges, HPACK decoders, limits from SETTINGS. */
class Http2Connection {
  readonly exchanges: Exchange[] = [];
  readonly streams = new Map<number, StreamState>();
  readonly decoders: Record<Direction, HpackDecoder> = { up: new HpackDecoder(), down: new HpackDecoder() };
  readonly hpackBroken: Record<Direction, boolean> = { up: false, down: false };
  /** The largest payload the receiver of each direction accepts (SETTINGS_MAX_FRAME_SIZE). */
  readonly maxFrameSize: Record<Direction, number> = { up: DEFAULT_MAX_FRAME_SIZE, down: DEFAULT_MAX_FRAME_SIZE };
  /** Bodies not ended yet, per direction, so their held bytes count for the watermark. */
  readonly openBodies: Record<Direction, Set<ContentConsumer>> = { up: new Set(), down: new Set() };
  readonly ids: { next: number };
  readonly sinks: Record<Direction, SegmentSink>;
  readonly frameAt: Record<Direction, (offset: number) => number | undefined>;

  constructor(ids: { next: number }, sinks: Record<Direction, SegmentSink>, frameAt: Record<Direction, (offset: number) => number | undefined>) {
    this.ids = ids;
    this.sinks = sinks;
    this.frameAt = frameAt;
  }

  stream(id: number): StreamState {
    let s = this.streams.get(id);
    if (!s) {
      s = { eventStream: false, contentType: {}, coding: {}, bodies: {} };
      this.streams.set(id, s);
    }
    return s;
  }

  /** The exchange a stream carries, numbered in the order streams' header blocks appear. */
  exchange(id: number): Exchange {
    const s = this.stream(id);
    if (!s.exchange) {
      s.exchange = { index: this.exchanges.length + 1, interim: [] };
      this.exchanges.push(s.exchange);
    }
    return s.exchange;
  }

  /** The content parser of a stream's DATA in `dir`, made on first use. */
  body(dir: Direction, id: number): ContentConsumer {
    const s = this.stream(id);
    let body = s.bodies[dir];
    if (!body) {
      const sink = new StreamSink(this.sinks[dir], this.ids, id, s.exchange?.index, this.frameAt[dir]);
      body = dir === 'down' && s.eventStream ? new SseParser(sink) : new Http2Body(sink, s.contentType[dir], s.coding[dir]);
      s.bodies[dir] = body;
      this.openBodies[dir].add(body);
    }
    return body;
  }

  endBody(dir: Direction, id: number): void {
    const s = this.streams.get(id);
    const body = s?.bodies[dir];
    if (!s || !body) return;
    body.unitEnd(true);
    body.end();
    this.openBodies[dir].delete(body);
    // DATA after END_STREAM is a stream error (STREAM_CLOSED, RFC 9113 §5.1), but its bytes still need leaves: a new parser takes them.
    delete s.bodies[dir];
  }

  /** A header block is complete: record the request or response it carries. */
  headers(dir: Direction, block: HeaderBlock, end: number, t: number): void {
    const id = block.promised ?? block.stream;
    if (id === 0) return;
    const s = this.stream(id);
    const exchange = this.exchange(id);
    const headers: HttpHeader[] = block.fields.filter((f) => f.representation !== 'size-update').map((f) => ({ name: f.name, value: f.value }));
    const pseudo = (name: string): string => headers.find((h) => h.name === name)?.value ?? '';
    const base = { offset: block.start, length: end - block.start, t, version: 'HTTP/2', headers };
    const asRequest = dir === 'up' || block.promised !== undefined;
    if (asRequest) {
      if (exchange.request) return; // trailers
      const target = pseudo(':path');
      exchange.request = { type: 'request', ...base, method: pseudo(':method'), target, path: target.split('?')[0] ?? target };
      s.contentType.up = headerValue({ headers }, 'content-type');
      s.coding.up = contentCoding(exchange.request);
      return;
    }
    const status = Number(pseudo(':status'));
    const head = { type: 'response' as const, ...base, status, reason: '' };
    if (status >= 100 && status < 200) exchange.interim.push(head);
    else if (!exchange.response) {
      exchange.response = head;
      s.contentType.down = headerValue(head, 'content-type');
      s.coding.down = contentCoding(head);
      s.eventStream = isEventStream(head) && s.coding.down === undefined;
    }
  }
}

/** Frames in one direction of an HTTP/2 connection. */
class Http2FrameReader implements DirectionParser {
  #sink: SegmentSink;
  #conn: Http2Connection;
  #dir: Direction;
  #steps: Step[] = [];
  #buf = new ElementBuffer();
  #broken = false;
  #frameNo = 0;
  #frame: Frame | undefined;
  #block: HeaderBlock | undefined;
  /** DATA payload ranges in this direction, so content leaves can say which frame carried them. */
  #data: { start: number; end: number; frame: number }[] = [];
  #lastT = 0;
  #promisedId: number | undefined;

  constructor(sink: SegmentSink, conn: Http2Connection, dir: Direction) {
    this.#sink = sink;
    this.#conn = conn;
    this.#dir = dir;
    if (dir === 'up') this.#steps.push({ kind: 'fixed', size: prefaceBytes.length, on: (b, s) => this.#preface(b, s), what: 'preface' });
  }

  /** The DATA frame whose payload holds wire offset `offset`. */
  frameAt(offset: number): number | undefined {
    for (let i = this.#data.length - 1; i >= 0; i--) {
      const d = this.#data[i];
      if (d && d.start <= offset && offset < d.end) return d.frame;
      if (d && d.end <= offset) return undefined;
    }
    return undefined;
  }

  feed(p: Piece): void {
    this.#lastT = p.t;
    let pos = 0;
    for (;;) {
      this.#runEmpty();
      if (pos >= p.bytes.length) return;
      if (this.#broken) {
        this.#emit([{ offset: p.offset + pos, length: p.bytes.length - pos, t: p.t, event: p.event }], {
          layer: 'h2',
          kind: 'opaque',
          label: `${plural(p.bytes.length - pos, 'byte')} not dissected`,
          explain: 'Bytes after something that is not HTTP/2: not dissected.',
        });
        return;
      }
      if (this.#steps.length === 0) this.#steps.push({ kind: 'fixed', size: 9, on: (b, s) => this.#header(b, s), what: 'frame header' });
      const step = this.#steps[0];
      if (!step || step.kind === 'end') continue;
      if (step.kind === 'fixed') {
        const n = Math.min(step.size - this.#buf.length, p.bytes.length - pos);
        this.#buf.add(subPiece(p, pos, pos + n));
        pos += n;
        if (this.#buf.length === step.size) {
          this.#steps.shift();
          const { bytes, spans } = this.#buf.take();
          step.on(bytes, spans);
        }
      } else {
        const n = Math.min(step.size, p.bytes.length - pos);
        step.on(subPiece(p, pos, pos + n));
        step.size -= n;
        pos += n;
        if (step.size === 0) this.#steps.shift();
      }
    }
  }

  heldFrom(): number | undefined {
    let min = this.#buf.start;
    for (const body of this.#conn.openBodies[this.#dir]) {
      const at = body.heldFrom();
      if (at !== undefined && (min === undefined || at < min)) min = at;
    }
    const block = this.#block?.heldFrom();
    if (block !== undefined && (min === undefined || block < min)) min = block;
    return min;
  }

  end(): void {
    const { bytes, spans } = this.#buf.take();
    const step = this.#steps[0];
    if (spans.length > 0) {
      const what = (step?.kind === 'fixed' && step.what) || `frame ${this.#frameNo} payload`;
      if (what !== `frame ${this.#frameNo} payload`) this.#frame = undefined;
      const size = step?.kind === 'fixed' ? ` of ${plural(step.size, 'byte')}` : '';
      this.#emit(spans, {
        layer: 'h2',
        kind: 'incomplete',
        label: `incomplete ${what}`,
        explain: `${plural(bytes.length, 'byte')} of a ${what}${size}: the connection ended, or the recording stops, before the rest arrived (RFC 9113 §4.1).`,
      });
    }
    const block = this.#block;
    if (block && block.pos < block.length) {
      this.#emit(sliceSpans(block.spans, block.pos, block.length), {
        layer: 'hpack',
        kind: 'incomplete',
        label: 'incomplete header block',
        explain: 'Part of a header block: the connection ended before the rest of it (and END_HEADERS) arrived.',
      });
      block.pos = block.length;
    }
    for (const body of this.#conn.openBodies[this.#dir]) body.end();
    this.#conn.openBodies[this.#dir].clear();
  }

  /** Runs end-of-frame steps and zero-length steps at the head of the queue. */
  #runEmpty(): void {
    for (;;) {
      const step = this.#steps[0];
      if (!step) return;
      if (step.kind === 'end') {
        this.#steps.shift();
        step.on();
      } else if (step.size === 0) {
        this.#steps.shift();
        if (step.kind === 'fixed') step.on(new Uint8Array(0), []);
      } else return;
    }
  }

  /** Queues steps to run next, before anything already queued. */
  #next(...steps: Step[]): void {
    this.#steps.unshift(...steps);
  }

  #emit(spans: readonly Span[], info: LeafInfo, extra?: PieceExtra): void {
    const f = this.#frame;
    this.#sink.emit(spans, f ? { ...info, frame: f.no, stream: f.stream, frameType: frameTypeName(f.type), frameFlags: f.flags } : info, extra);
  }

  /** Tags each piece of a field split across CONTINUATION frames with the frame it came in. */
  #framesOf(block: HeaderBlock, spans: readonly Span[]): PieceExtra {
    const frames = spans.map((s) => block.frameAt(s.offset));
    let i = 0;
    return () => {
      const frame = frames[i++];
      return frame !== undefined ? { frame } : {};
    };
  }

  #preface(bytes: Uint8Array, spans: Span[]): void {
    const ok = bytes.every((b, i) => b === prefaceBytes[i]);
    if (!ok) this.#broken = true;
    this.#emit(
      spans,
      ok
        ? {
            layer: 'h2',
            kind: 'h2-preface',
            label: 'connection preface PRI * HTTP/2.0',
            explain:
              'The client’s first 24 bytes, always the same: they look like an HTTP/1 request with method PRI, so an HTTP/1.1 server ' +
              'fails fast, while an HTTP/2 server knows frames follow; a SETTINGS frame comes next (RFC 9113 §3.4).',
            text: CLIENT_PREFACE,
          }
        : {
            layer: 'h2',
            kind: 'error',
            label: `not the HTTP/2 preface: ${quote(decodeUtf8(bytes), 24)}`,
            explain:
              'An HTTP/2 client must start with the 24-byte preface PRI * HTTP/2.0…; these bytes are something else, so the rest is not dissected (RFC 9113 §3.4).',
          },
    );
  }

  #header(bytes: Uint8Array, spans: Span[]): void {
    const length = ((bytes[0] ?? 0) << 16) | ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0);
    const type = bytes[3] ?? 0;
    const flags = bytes[4] ?? 0;
    const raw = new DataView(bytes.buffer, bytes.byteOffset + 5, 4).getUint32(0);
    const stream = raw & 0x7fffffff;
    const start = spans[0]?.offset ?? 0;
    const f: Frame = { no: ++this.#frameNo, length, type, flags, stream, start, end: start + 9 + length };
    this.#frame = f;
    const opens = type === FrameType.HEADERS && stream > 0;
    this.#sink.exchange = opens ? this.#conn.exchange(stream).index : this.#conn.streams.get(stream)?.exchange?.index;
    const name = frameTypeName(type);
    const max = this.#conn.maxFrameSize[this.#dir];
    const tooLong = length > max ? `; more than the ${plural(max, 'byte')} the receiver allows (FRAME_SIZE_ERROR)` : '';
    this.#emit(sliceSpans(spans, 0, 3), {
      layer: 'h2',
      kind: 'h2-length',
      label: `length ${plural(length, 'byte')}`,
      explain: `Frame ${f.no} starts: a 24-bit payload length, not counting this 9-byte header; at most 16,384 unless the receiver's SETTINGS_MAX_FRAME_SIZE allows more${tooLong} (RFC 9113 §4.1).`,
    });
    const expectContinuation = this.#block !== undefined && type !== FrameType.CONTINUATION;
    this.#emit(sliceSpans(spans, 3, 4), {
      layer: 'h2',
      kind: expectContinuation ? 'error' : 'h2-type',
      label: `type ${name}`,
      explain: expectContinuation
        ? `A ${name} frame while a header block is still open: only CONTINUATION frames may come until END_HEADERS, a PROTOCOL_ERROR (RFC 9113 §6.10).`
        : `Frame type 0x${type.toString(16)}: ${name} ${frameTypeMeaning(type)}.`,
    });
    if (expectContinuation) this.#abandonBlock();
    const { names, unknown } = flagNamesOf(type, flags);
    const shown = [...names, ...(unknown ? [`0x${unknown.toString(16)}`] : [])];
    this.#emit(sliceSpans(spans, 4, 5), {
      layer: 'h2',
      kind: 'h2-flags',
      label: `flags ${shown.length > 0 ? shown.join(' | ') : 'none'}`,
      explain:
        (names.length > 0 ? `Flag bits: ${names.map((n) => `${n}, ${flagMeaning(n)}`).join('; ')}` : `No flags are set`) +
        `${unknown ? `; bits 0x${unknown.toString(16)} mean nothing for ${name} and are ignored` : ''} (RFC 9113 §4.1, §6).`,
    });
    const reserved = raw >>> 31 === 1 ? ' The reserved top bit is set; receivers ignore it.' : '';
    this.#emit(sliceSpans(spans, 5, 9), {
      layer: 'h2',
      kind: 'h2-stream-id',
      label: `stream ${stream}`,
      explain:
        (stream === 0
          ? 'Stream 0: this frame is about the whole connection, not one request (RFC 9113 §5.1.1).'
          : stream % 2 === 1
            ? `Stream ${stream}: a stream the client opened; each request gets the next odd number, and many run at once over this one connection (RFC 9113 §5.1.1).`
            : `Stream ${stream}: even numbers are streams the server opens, for pushed responses (RFC 9113 §5.1.1).`) + reserved,
    });
    this.#payload(f);
  }

  /** Queues the steps that read `f`'s payload, and its end. */
  #payload(f: Frame): void {
    const end: Step = { kind: 'end', on: () => this.#frameEnd(f) };
    const padded = (f.flags & Flag.PADDED) !== 0 && (f.type === FrameType.DATA || f.type === FrameType.HEADERS || f.type === FrameType.PUSH_PROMISE);
    const fixedBefore = f.type === FrameType.HEADERS && f.flags & Flag.PRIORITY ? 5 : f.type === FrameType.PUSH_PROMISE ? 4 : 0;
    switch (f.type) {
      case FrameType.DATA:
      case FrameType.HEADERS:
      case FrameType.PUSH_PROMISE:
        if (f.length < fixedBefore + (padded ? 1 : 0)) {
          return this.#next(this.#bad(f, f.length, `a ${frameTypeName(f.type)} frame too short for its fixed fields`), end);
        }
        if (!padded) return this.#next(...this.#body(f, f.length, fixedBefore, 0), end);
        return this.#next(
          {
            kind: 'fixed',
            size: 1,
            on: (b, s) => {
              const pad = b[0] ?? 0;
              const room = f.length - 1 - fixedBefore;
              this.#emit(s, {
                layer: 'h2',
                kind: pad > room ? 'error' : 'h2-pad-length',
                label: `pad length ${pad}`,
                explain:
                  pad > room
                    ? `Padding of ${pad} bytes does not fit in this frame, a PROTOCOL_ERROR (RFC 9113 §6.1).`
                    : `PADDED is set, so this byte says how many bytes of padding end the frame: padding hides the real size of what is sent (RFC 9113 §6.1, §10.7).`,
              });
              if (pad > room) this.#next(this.#bad(f, f.length - 1, 'the rest of a frame whose padding does not fit'));
              else this.#next(...this.#body(f, room + fixedBefore, fixedBefore, pad));
            },
          },
          end,
        );
      case FrameType.CONTINUATION:
        return this.#next(...this.#body(f, f.length, 0, 0), end);
      case FrameType.PRIORITY:
        return this.#next(f.length === 5 ? this.#priority() : this.#bad(f, f.length, 'a PRIORITY frame must have 5 bytes'), end);
      case FrameType.RST_STREAM:
        return this.#next(f.length === 4 ? this.#errorCode(f) : this.#bad(f, f.length, 'an RST_STREAM frame must have 4 bytes'), end);
      case FrameType.SETTINGS:
        if (f.length % 6 !== 0 || (f.flags & Flag.ACK && f.length > 0)) {
          return this.#next(this.#bad(f, f.length, f.flags & Flag.ACK ? 'a SETTINGS ACK must be empty' : 'SETTINGS must be a multiple of 6 bytes'), end);
        }
        return this.#next(...(f.length > 0 ? [this.#setting(f.length / 6)] : []), end);
      case FrameType.PING:
        return this.#next(f.length === 8 ? this.#ping(f) : this.#bad(f, f.length, 'a PING frame must have 8 bytes'), end);
      case FrameType.GOAWAY:
        if (f.length < 8) return this.#next(this.#bad(f, f.length, 'a GOAWAY frame must have at least 8 bytes'), end);
        return this.#next(this.#lastStream(), this.#errorCode(f), ...(f.length > 8 ? [this.#debugData(f.length - 8)] : []), end);
      case FrameType.WINDOW_UPDATE:
        return this.#next(f.length === 4 ? this.#windowUpdate(f) : this.#bad(f, f.length, 'a WINDOW_UPDATE frame must have 4 bytes'), end);
      default:
        return this.#next(this.#unknown(f), end);
    }
  }

  /** The payload of DATA, HEADERS, PUSH_PROMISE or CONTINUATION after any pad length: fixed fields, content, padding. */
  #body(f: Frame, size: number, fixed: number, pad: number): Step[] {
    const steps: Step[] = [];
    if (fixed === 5) steps.push(this.#priority());
    if (fixed === 4) steps.push(this.#promised());
    const content = size - fixed - pad;
    if (f.type === FrameType.DATA) {
      let at: number | undefined;
      steps.push({
        kind: 'stream',
        size: content,
        on: (p) => {
          if (at === undefined) {
            at = p.offset;
            this.#data.push({ start: at, end: at + content, frame: f.no });
          }
          this.#conn.body(this.#dir, f.stream).feed(p);
        },
      });
    } else {
      steps.push({ kind: 'fixed', size: 0, on: () => this.#openBlock(f) });
      steps.push({ kind: 'stream', size: content, on: (p) => this.#fragment(p) });
    }
    if (pad > 0) steps.push(this.#padding(pad));
    return steps;
  }

  #frameEnd(f: Frame): void {
    if (f.type === FrameType.DATA) {
      const body = this.#conn.streams.get(f.stream)?.bodies[this.#dir];
      if (f.flags & Flag.END_STREAM) this.#conn.endBody(this.#dir, f.stream);
      else body?.unitEnd();
    }
    if ((f.type === FrameType.HEADERS || f.type === FrameType.PUSH_PROMISE || f.type === FrameType.CONTINUATION) && f.flags & Flag.END_HEADERS)
      this.#closeBlock(f);
    if (f.type === FrameType.HEADERS && f.flags & Flag.END_STREAM) this.#conn.endBody(this.#dir, f.stream);
    if (f.type === FrameType.RST_STREAM) {
      this.#conn.endBody('up', f.stream);
      this.#conn.endBody('down', f.stream);
    }
  }

  #bad(f: Frame, size: number, why: string): Step {
    return {
      kind: 'fixed',
      size,
      on: (_b, s) =>
        this.#emit(s, {
          layer: 'h2',
          kind: 'error',
          label: `malformed ${frameTypeName(f.type)} payload`,
          explain: `${why[0]?.toUpperCase()}${why.slice(1)}: the receiver treats this as a FRAME_SIZE_ERROR or PROTOCOL_ERROR (RFC 9113 §4.2, §6).`,
        }),
    };
  }

  #padding(n: number): Step {
    return {
      kind: 'fixed',
      size: n,
      on: (b, s) =>
        this.#emit(s, {
          layer: 'h2',
          kind: b.every((x) => x === 0) ? 'h2-padding' : 'error',
          label: `padding, ${plural(n, 'byte')}`,
          explain: 'Padding: bytes that mean nothing, there to hide the size of what is sent; they must be zero (RFC 9113 §6.1).',
        }),
    };
  }

  #priority(): Step {
    return {
      kind: 'fixed',
      size: 5,
      on: (b, s) => {
        const word = new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
        const exclusive = word >>> 31 === 1;
        const dependency = word & 0x7fffffff;
        const weight = (b[4] ?? 0) + 1;
        this.#emit(s, {
          layer: 'h2',
          kind: 'h2-priority',
          label: `priority: depends on ${dependency}${exclusive ? ' (exclusive)' : ''}, weight ${weight}`,
          explain:
            'Stream priority: the stream this one depends on, an exclusive bit, and a weight 1–256. RFC 9113 deprecates this scheme ' +
            '(RFC 9113 §5.3.2, §6.3); browsers still send it.',
        });
      },
    };
  }

  #promised(): Step {
    return {
      kind: 'fixed',
      size: 4,
      on: (b, s) => {
        const id = new DataView(b.buffer, b.byteOffset, 4).getUint32(0) & 0x7fffffff;
        this.#promisedId = id;
        // The header block that follows is the pushed request: its fields belong to the promised stream's exchange.
        this.#sink.exchange = this.#conn.exchange(id).index;
        this.#emit(s, {
          layer: 'h2',
          kind: 'h2-promised-stream',
          label: `promised stream ${id}`,
          explain: `The stream the server reserves for the response it will push; the header block that follows is the request it answers as if the client had sent it (RFC 9113 §6.6, §8.4).`,
        });
      },
    };
  }

  /** One setting; it queues the next of the `left` - 1 that follow it (a frame may announce thousands). */
  #setting(left: number): Step {
    return {
      kind: 'fixed',
      size: 6,
      on: (b, s) => {
        if (left > 1) this.#next(this.#setting(left - 1));
        const view = new DataView(b.buffer, b.byteOffset, 6);
        const id = view.getUint16(0);
        const value = view.getUint32(2);
        const peer = other(this.#dir);
        if (id === Setting.HEADER_TABLE_SIZE) {
          const decoder = this.#conn.decoders[peer];
          decoder.limit = Math.max(decoder.limit, value);
        }
        if (id === Setting.MAX_FRAME_SIZE && value >= DEFAULT_MAX_FRAME_SIZE) this.#conn.maxFrameSize[peer] = value;
        this.#emit(s, {
          layer: 'h2',
          kind: 'h2-setting',
          label: `${settingName(id)} = ${value}`,
          explain: `A setting, 16-bit identifier and 32-bit value: ${settingMeaning(id)} (RFC 9113 §6.5.2).`,
          name: settingName(id),
          text: String(value),
        });
      },
    };
  }

  #ping(f: Frame): Step {
    return {
      kind: 'fixed',
      size: 8,
      on: (b, s) =>
        this.#emit(s, {
          layer: 'h2',
          kind: 'h2-ping-data',
          label: `ping data ${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`,
          explain:
            f.flags & Flag.ACK
              ? 'The 8 bytes of the PING being answered, sent back unchanged so the sender can match the answer and time the round trip (RFC 9113 §6.7).'
              : 'Eight bytes of the sender’s choosing; the other side must answer at once with a PING carrying ACK and the same bytes (RFC 9113 §6.7).',
        }),
    };
  }

  #lastStream(): Step {
    return {
      kind: 'fixed',
      size: 4,
      on: (b, s) => {
        const id = new DataView(b.buffer, b.byteOffset, 4).getUint32(0) & 0x7fffffff;
        this.#emit(s, {
          layer: 'h2',
          kind: 'h2-last-stream-id',
          label: `last stream ${id}`,
          explain: `The highest stream this side processed or may still process; requests on higher streams were not handled and are safe to retry on a new connection (RFC 9113 §6.8).`,
        });
      },
    };
  }

  #errorCode(f: Frame): Step {
    return {
      kind: 'fixed',
      size: 4,
      on: (b, s) => {
        const code = new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
        const scope = f.type === FrameType.GOAWAY ? 'Why the connection is closing' : `Why stream ${f.stream} is cancelled`;
        this.#emit(s, {
          layer: 'h2',
          kind: 'h2-error-code',
          label: `error ${errorCodeName(code)} (${code})`,
          explain: `${scope}: ${errorCodeName(code)}, ${errorCodeMeaning(code)} (RFC 9113 §7).`,
          text: errorCodeName(code),
        });
      },
    };
  }

  #debugData(n: number): Step {
    return {
      kind: 'fixed',
      size: n,
      on: (b, s) => {
        const text = decodeUtf8(b);
        this.#emit(s, {
          layer: 'h2',
          kind: 'h2-debug-data',
          label: `debug data ${quote(text)}`,
          explain: 'Free-form diagnostic data for people reading logs; it has no meaning for the protocol (RFC 9113 §6.8).',
          text,
        });
      },
    };
  }

  #windowUpdate(f: Frame): Step {
    return {
      kind: 'fixed',
      size: 4,
      on: (b, s) => {
        const n = new DataView(b.buffer, b.byteOffset, 4).getUint32(0) & 0x7fffffff;
        const scope = f.stream === 0 ? 'the whole connection' : `stream ${f.stream}`;
        this.#emit(s, {
          layer: 'h2',
          kind: n === 0 ? 'error' : 'h2-window-increment',
          label: `window increment ${plural(n, 'byte')}`,
          explain:
            n === 0
              ? 'A window increment of 0 is a PROTOCOL_ERROR (RFC 9113 §6.9).'
              : `The receiver has made room: the sender may send ${plural(n, 'more byte')} of DATA on ${scope}. Flow control keeps a fast sender from swamping a slow reader (RFC 9113 §5.2, §6.9).`,
        });
      },
    };
  }

  #unknown(f: Frame): Step {
    return {
      kind: 'fixed',
      size: f.length,
      on: (b, s) =>
        this.#emit(s, {
          layer: 'h2',
          kind: 'h2-payload',
          label: `${frameTypeName(f.type)} payload, ${plural(b.length, 'byte')}`,
          explain: `The payload of a frame type this dissector does not parse: a receiver ignores frame types it does not know, which lets HTTP/2 grow new ones (RFC 9113 §4.1, §5.5).`,
          text: shorten(decodeUtf8(b), 200),
        }),
    };
  }

  /** A HEADERS or PUSH_PROMISE frame starts a header block; CONTINUATION continues it. */
  #openBlock(f: Frame): void {
    if (f.type === FrameType.CONTINUATION) return;
    const block = new HeaderBlock(f.stream, f.start, this.#conn.hpackBroken[this.#dir]);
    if (f.type === FrameType.PUSH_PROMISE) block.promised = this.#promisedId;
    this.#conn.decoders[this.#dir].beginBlock();
    this.#block = block;
  }

  #fragment(p: Piece): void {
    const block = this.#block;
    if (!block) {
      this.#emit([{ offset: p.offset, length: p.bytes.length, t: p.t, event: p.event }], {
        layer: 'hpack',
        kind: 'error',
        label: 'CONTINUATION without a header block',
        explain: 'A CONTINUATION frame must follow a HEADERS, PUSH_PROMISE or CONTINUATION frame without END_HEADERS: a PROTOCOL_ERROR (RFC 9113 §6.10).',
      });
      return;
    }
    block.add(p, this.#frame?.no ?? 0);
    this.#decode(block);
  }

  /** Decodes every field of `block` that is complete, each as soon as its last byte is in. */
  #decode(block: HeaderBlock): void {
    if (block.broken) {
      if (block.pos < block.length) {
        this.#emit(sliceSpans(block.spans, block.pos, block.length), {
          layer: 'hpack',
          kind: 'opaque',
          label: 'header block not decoded',
          explain: 'An earlier HPACK error left the two sides’ tables out of step, so no later header block in this direction can be decoded (RFC 9113 §4.3).',
        });
        block.pos = block.length;
      }
      return;
    }
    const decoder = this.#conn.decoders[this.#dir];
    while (block.pos < block.length && block.length >= block.need) {
      const step = decoder.next(block.bytes, block.pos);
      if (step.type === 'more') {
        block.need = step.need;
        return;
      }
      if (step.type === 'error') return this.#hpackError(block, step.why);
      const field = step.field;
      block.fields.push(field);
      const spans = sliceSpans(block.spans, field.start, field.end);
      this.#emit(
        spans,
        {
          layer: 'hpack',
          kind: field.representation === 'indexed' ? 'hpack-indexed' : field.representation === 'size-update' ? 'hpack-size-update' : 'hpack-literal',
          label: field.label,
          explain: field.explain,
          ...(field.representation !== 'size-update' ? { name: field.name, text: field.value } : {}),
        },
        spans.length > 1 ? this.#framesOf(block, spans) : undefined,
      );
      block.pos = field.end;
      block.need = 0;
    }
  }

  #hpackError(block: HeaderBlock, why: string): void {
    this.#emit(sliceSpans(block.spans, block.pos, block.length), {
      layer: 'hpack',
      kind: 'error',
      label: `HPACK error: ${why}`,
      explain: `The decoder cannot read this: ${why}. That is a COMPRESSION_ERROR for the whole connection, since the two sides’ tables are now out of step (RFC 7541 §3, RFC 9113 §4.3).`,
    });
    block.pos = block.length;
    block.broken = true;
    this.#conn.hpackBroken[this.#dir] = true;
  }

  /** END_HEADERS: the block is whole; bytes of a field cut short are an error. */
  #closeBlock(f: Frame): void {
    const block = this.#block;
    if (!block) return;
    if (block.pos < block.length && !block.broken) this.#hpackError(block, 'the header block ends inside a field');
    this.#block = undefined;
    if (!block.broken) this.#conn.headers(this.#dir, block, f.end, this.#lastT);
  }

  /** A header block left open by a frame that is not CONTINUATION: its undecoded bytes are an error. */
  #abandonBlock(): void {
    const block = this.#block;
    if (!block) return;
    if (block.pos < block.length) this.#hpackError(block, 'the header block was never finished');
    this.#block = undefined;
  }
}

/**
 * Dissects one HTTP/2 connection (prior knowledge: h2c, or the bytes inside TLS) incrementally:
 * the same push/end shape as `ConnectionDissector`. `exchanges` has one entry per stream, in the
 * order streams appeared, with the request and response heads built from the decoded fields
 * (pseudo-header fields such as `:method` and `:status` included in `headers`).
 */
export class Http2Dissector extends WireConnection {
  #conn: Http2Connection;

  constructor() {
    super('Http2Dissector');
    const readers: Partial<Record<Direction, Http2FrameReader>> = {};
    const frameAt = (dir: Direction) => (offset: number) => readers[dir]?.frameAt(offset);
    this.#conn = new Http2Connection(this.ids, this.sinks, { up: frameAt('up'), down: frameAt('down') });
    readers.up = new Http2FrameReader(this.sinks.up, this.#conn, 'up');
    readers.down = new Http2FrameReader(this.sinks.down, this.#conn, 'down');
    this.attach({ up: readers.up, down: readers.down });
  }

  /** One per stream that carried a header block, in order of appearance. */
  get exchanges(): readonly Exchange[] {
    return this.#conn.exchanges;
  }

  /** The HPACK decoder of each direction: its dynamic table, for a table view. */
  decoder(dir: Direction): HpackDecoder {
    return this.#conn.decoders[dir];
  }
}

/** Everything about one HTTP/2 connection at once, e.g. from a recording or a fixture. */
export function dissectHttp2(events: Iterable<ByteEvent>): { segments: Segment[]; exchanges: Exchange[]; summary: WireSummary } {
  const d = new Http2Dissector();
  for (const event of events) d.push(event);
  d.end();
  return { segments: [...d.segments], exchanges: [...d.exchanges], summary: d.summary };
}
