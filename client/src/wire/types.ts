/**
 * The dissectors' vocabulary: bytes in (`ByteEvent`, one per tap read or write), annotated
 * leaves out (`Segment`), and the parsed HTTP heads (`Exchange`) for the headers panel.
 */

/** `up` = client → server (the tap's `read`); `down` = server → client (the tap's `write`). */
export type Direction = 'up' | 'down';

/** The bytes of one tap event on one TCP connection. */
export interface ByteEvent {
  /** Milliseconds since the Unix epoch, sub-millisecond precision (the tap's clock). */
  t: number;
  dir: Direction;
  /** Treated as immutable: segments may keep views into it. */
  bytes: Uint8Array;
  /** Writes only: sizes of the buffers written together in one system call (they sum to `bytes.length`). */
  parts?: number[];
}

/** A `ByteEvent` as stored in JSON fixtures and recordings: `data` is base64. */
export interface ByteEventJson {
  t: number;
  dir: Direction;
  data: string;
  parts?: number[];
}

/**
 * The protocol a leaf belongs to, outermost first: HTTP/1.1 head, body, chunked coding, SSE, WebSocket;
 * and on HTTP/2 connections the frames (`h2`), their compressed header fields (`hpack`), and the TLS
 * record layer underneath (`tls`).
 */
export type Layer = 'http' | 'body' | 'chunked' | 'sse' | 'ws' | 'h2' | 'hpack' | 'tls';

export type SegmentKind =
  // http — RFC 9112 §2–§5
  | 'empty-line' // a stray CRLF before a request line (§2.2: ignored)
  | 'request-line'
  | 'status-line'
  | 'header' // one field line, name to CRLF
  | 'head-end' // the empty line that ends the head
  // body — RFC 9112 §6
  | 'body' // Content-Length body (whole), or body delimited by close (one per event)
  | 'opaque' // bytes not dissected: after a parse error, or a non-WebSocket upgrade
  // chunked — RFC 9112 §7.1
  | 'chunk-size' // hex size line incl. CRLF
  | 'chunk-data' // data of a chunk whose content is not dissected further (not SSE)
  | 'chunk-crlf' // the CRLF after a chunk's data
  | 'chunk-last' // `0` CRLF
  | 'trailer' // a trailer field line
  | 'chunk-end' // the CRLF that ends the chunked body
  // sse — WHATWG HTML §9.2.6
  | 'sse-bom'
  | 'sse-field' // `id:`, `event:`, `data:`, `retry:` or unknown field line, incl. its line ending
  | 'sse-comment' // a line starting with `:`
  | 'sse-dispatch' // the empty line that dispatches the event
  | 'sse-block-end' // an empty line after a block with no data (a `retry:`, a comment): nothing is dispatched
  // ws — RFC 6455 §5.2
  | 'ws-fin-opcode' // first byte: FIN, RSV1-3, opcode
  | 'ws-mask-len' // second byte: MASK bit, 7-bit length
  | 'ws-ext-len' // 16- or 64-bit extended payload length
  | 'ws-mask-key'
  | 'ws-payload'
  | 'ws-close-code'
  | 'ws-close-reason'
  // h2 — RFC 9113 §3.4, §4.1, §6
  | 'h2-preface' // the client's 24-byte connection preface PRI * HTTP/2.0…
  | 'h2-length' // frame header: 24-bit payload length
  | 'h2-type' // frame header: frame type
  | 'h2-flags' // frame header: flags
  | 'h2-stream-id' // frame header: reserved bit and 31-bit stream identifier
  | 'h2-pad-length' // PADDED: length of the padding
  | 'h2-padding'
  | 'h2-priority' // exclusive bit, stream dependency, weight (HEADERS with PRIORITY, or a PRIORITY frame)
  | 'h2-promised-stream' // PUSH_PROMISE: the stream the server reserves
  | 'h2-data' // a DATA payload not dissected further (not an event stream)
  | 'h2-setting' // one SETTINGS parameter: 16-bit identifier, 32-bit value
  | 'h2-ping-data' // PING: 8 opaque bytes
  | 'h2-last-stream-id' // GOAWAY
  | 'h2-error-code' // RST_STREAM, GOAWAY
  | 'h2-debug-data' // GOAWAY
  | 'h2-window-increment' // WINDOW_UPDATE
  | 'h2-payload' // payload of an unknown frame type (ignored, RFC 9113 §4.1)
  // hpack — RFC 7541 §6
  | 'hpack-indexed' // a field sent as an index into the tables
  | 'hpack-literal' // a field with a literal value (with, without or never indexing)
  | 'hpack-size-update' // a dynamic table size update
  // tls — RFC 8446 §4, §5
  | 'tls-content-type' // record header: content type
  | 'tls-version' // record header legacy_record_version, or a hello's legacy_version
  | 'tls-length' // any length prefix: record, handshake message, vector
  | 'tls-handshake-type'
  | 'tls-random' // a hello's 32 random bytes
  | 'tls-session-id'
  | 'tls-cipher-suite' // one cipher suite (offered, or chosen)
  | 'tls-compression' // legacy compression methods
  | 'tls-extension-type'
  | 'tls-extension' // an extension's data: SNI, ALPN, supported_versions, key_share…
  | 'tls-handshake' // a handshake message in clear not dissected further (certificate…)
  | 'tls-change-cipher-spec'
  | 'tls-alert' // an alert in clear: level and description
  | 'tls-encrypted' // an encrypted record's payload: opaque
  // any layer
  | 'incomplete' // bytes of an element that never finished (the stream ended first)
  | 'error'; // bytes that break the protocol; the rest of that direction becomes `opaque`

/**
 * Where a leaf sits in its protocol element. `whole`: the element is this one leaf. Otherwise the
 * element was split — by a read/write boundary, or (SSE inside chunks) by chunk framing — and
 * this is its `first`, a `middle`, or its `last` piece. The pieces share `element`.
 */
export type Part = 'whole' | 'first' | 'middle' | 'last';

/**
 * A leaf annotation: a run of bytes in one direction, all carried by one tap event, that is (a
 * piece of) one protocol element. Leaves never overlap and are returned in byte order per
 * direction. Counters named `chunk`, `sseEvent`, `frame`, `exchange` are ordinals: 1 = the first.
 */
export interface Segment {
  dir: Direction;
  /** Offset of the first byte in this direction's stream (0 = the connection's first byte that way). */
  offset: number;
  length: number;
  /** Time of the tap event that carried these bytes (the page shows leaves with `t` ≤ its cursor). */
  t: number;
  /** Index of that event among the events pushed for this connection, both directions, from 0. */
  event: number;
  layer: Layer;
  kind: SegmentKind;
  /** Short, for the byte view: `chunk size 0x1e = 30 bytes`. The same on every piece of an element. */
  label: string;
  /** One plain-English sentence for a learner, naming the spec section. */
  explain: string;
  /** Id of the protocol element, unique per connection; the pieces of a split element share it. */
  element: number;
  part: Part;
  /** HTTP exchange (request + response) on this connection; WebSocket frames keep the one that upgraded; on HTTP/2, the stream's. */
  exchange?: number;
  /** The chunk these bytes are data of (SSE lines inside chunks too), or whose size line / CRLF they are. */
  chunk?: number;
  /** The SSE event block (lines up to and including a blank line) this line belongs to. */
  sseEvent?: number;
  /** The WebSocket frame, or HTTP/2 frame, in this direction that these bytes belong to. */
  frame?: number;
  /** HTTP/2: the stream identifier of the frame these bytes belong to (0 = the connection itself). */
  stream?: number;
  /** HTTP/2: the type of the frame these bytes belong to (`DATA`, `HEADERS`…), on the leaves the frame reader emits (header, fixed fields, header blocks). */
  frameType?: string;
  /** HTTP/2: that frame's flags byte (END_STREAM is 0x1 on DATA and HEADERS). */
  frameFlags?: number;
  /** TLS: the record in this direction that these bytes belong to. */
  record?: number;
  /** TLS: set on the leaves of a record's 5-byte header (content type, version, length). */
  recordHeader?: true;
  /** Header name, or SSE field name. */
  name?: string;
  /** Decoded text the element carries: header or field value, body, WebSocket payload (unmasked). */
  text?: string;
  /** Index of the LLM token this element carries: the server's `index`, or for OpenAI chunks the count of content deltas before it. */
  token?: number;
  tokenText?: string;
  /**
   * UTF-8 bytes of reply text this element carries (a token's text, or a buffered reply's `text`);
   * set on its last piece only, so sums count each element once.
   */
  payloadBytes?: number;
  /** Pieces of a masked WebSocket payload: these same bytes, unmasked (RFC 6455 §5.3). */
  unmasked?: Uint8Array;
  /** Bytes that differ between otherwise identical runs (Date, WebSocket keys and masks). */
  varying?: boolean;
}

export interface HttpHeader {
  name: string;
  value: string;
}

interface HeadBase {
  /** Offset of the start line in its direction's stream, and length up to the end of the empty line. */
  offset: number;
  length: number;
  /** Time the head was complete (its empty line arrived). */
  t: number;
  version: string;
  headers: HttpHeader[];
}

export interface RequestHead extends HeadBase {
  type: 'request';
  method: string;
  /** As sent: path and query. */
  target: string;
  /** `target` without its query. */
  path: string;
}

export interface ResponseHead extends HeadBase {
  type: 'response';
  status: number;
  reason: string;
}

export type HttpHead = RequestHead | ResponseHead;

/** One request and its response on a connection (HTTP/1.1 keep-alive sends several in sequence). */
export interface Exchange {
  /** 1 = the connection's first request. */
  index: number;
  request?: RequestHead;
  /** The final response (status ≥ 200, or 101). */
  response?: ResponseHead;
  /** 1xx responses before it, e.g. `100 Continue`. */
  interim: ResponseHead[];
  /** Set when a `101 Switching Protocols` turned the connection into this protocol. */
  upgrade?: string;
}

/** Per-connection figures for a lane. Times are tap times (ms since epoch). */
export interface WireSummary {
  bytes: Record<Direction, number>;
  firstByte: Partial<Record<Direction, number>>;
  lastByte: Partial<Record<Direction, number>>;
  /** Bytes per layer, both directions. */
  byLayer: Record<Layer, number>;
  /** Elements carrying a token. */
  tokens: number;
  /** When the first and last token had fully arrived. */
  firstToken?: number;
  lastToken?: number;
  /** UTF-8 bytes of reply text (see `Segment.payloadBytes`). */
  payloadBytes: number;
  /** Every other byte, both directions: heads, framing, JSON wrapping, masks. */
  framingBytes: number;
}
