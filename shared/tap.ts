/**
 * Where the wire tap streams its events (`GET /api/tap?run=<id>`, README "The HTTP API"). The
 * server mounts it and keeps it out of its own capture; the page subscribes to it.
 */
export const tapPath = '/api/tap';

/**
 * The events `/api/tap` streams, one JSON object per SSE `data:` line.
 * Shared by the server (which emits them) and the page (which dissects them).
 *
 * Directions are seen from the server: `read` is client → server, `write` is server → client.
 * On a connection the server opened itself (`outgoing`, see `OutgoingLeg`) Streamscope is the
 * client: `write` is its request (Streamscope → upstream) and `read` the upstream's response.
 * The page files such a connection by its leg, not by its path.
 * Timestamps `t` are milliseconds since the Unix epoch with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`), so a page can estimate its clock offset.
 */
export type TapEvent = TapOpen | TapRequest | TapRead | TapWrite | TapClose | TapGeneration | TapDropped;

/**
 * A connection Streamscope opened as a client, for a request of a run:
 * - `upstream`: the request to the real model behind an `upstream/<id>` reply (one per reply,
 *   however many lanes read it), filed under the run of the request that started it;
 * - `inspect`: the request `/api/inspect/sse` makes to the URL it inspects.
 * Its bytes carry no secret of the server's own: the upstream key is masked (`*`, byte for byte)
 * for every reader, the presenter included.
 */
export type OutgoingLeg = 'upstream' | 'inspect';

/**
 * Which layer of a connection on the HTTPS port an event shows. A TCP connection there is two
 * tap connections, each with its own `conn`: the TLS records as they crossed the network
 * (`layer: 'tls'` on all its events; its `open` names the plaintext connection it `carries`), and
 * the HTTP/2 or HTTP/1.1 bytes inside them (no `layer`, like a connection on the plain port; its
 * `open` names its records' connection in `tls`, and the ALPN result in `protocol`). The
 * plaintext connection opens when the TLS handshake has finished.
 *
 * HTTP/2 carries several requests at once, each maybe of another run: such a connection is
 * announced (`open`) to every run with a request on it, and then its bytes go to all of them, so
 * a run's tap shows other runs' frames on the same connection too. A run that joins later first
 * gets what the connection carried before (its first 512 KiB, with the original times): the
 * connection preface, SETTINGS and the header blocks the HPACK state depends on. The frames of
 * the tap's own stream (`/api/tap` on the same connection: DATA and WINDOW_UPDATE) are left out,
 * and while a tap stream is open on a connection, its TLS records are not reported (each report
 * would be sent in another record). With secrets masked (classroom mode), HTTP/2 header blocks
 * (HEADERS, CONTINUATION payloads) are masked whole: HPACK hides the header names from a scanner.
 */
export type TapLayer = 'tls';

/** A TCP connection was accepted, or opened by the server (`outgoing`) (sent once per connection and run). */
export interface TapOpen {
  type: 'open';
  conn: number;
  t: number;
  run: string | null;
  remoteAddress: string;
  remotePort: number;
  localPort: number;
  /** Set when Streamscope opened this connection as the client (then `remoteAddress` is the upstream's). */
  outgoing?: OutgoingLeg;
  /** `host:port` Streamscope connected to (outgoing connections only). */
  host?: string;
  /** `'tls'`: this connection's bytes are the TLS records of an HTTPS connection. */
  layer?: TapLayer;
  /** TLS records: the `conn` of the plaintext they carry (absent until the handshake finished). */
  carries?: number;
  /** Plaintext of an HTTPS connection: the `conn` of its TLS records. */
  tls?: number;
  /** Plaintext of an HTTPS connection: the protocol agreed by ALPN. */
  protocol?: 'h2' | 'http/1.1';
}

/** The HTTP parser finished a request head on this connection: tells which path the bytes belong to. */
export interface TapRequest {
  type: 'request';
  conn: number;
  t: number;
  run: string | null;
  method: string;
  path: string;
  /** Set when Streamscope sent this request as the client (its own request to an upstream or an inspected URL). */
  outgoing?: OutgoingLeg;
  /** `host:port` the request went to (outgoing requests only). */
  host?: string;
  /** HTTP/2: the stream id that carries this request. */
  stream?: number;
}

/** Bytes the server read from the connection. */
export interface TapRead {
  type: 'read';
  conn: number;
  t: number;
  run: string | null;
  /** `'tls'`: TLS records (see `TapLayer`). */
  layer?: TapLayer;
  /** base64 */
  data: string;
}

/** Bytes the server wrote in one system call; `parts` are the sizes of the buffers written together. */
export interface TapWrite {
  type: 'write';
  conn: number;
  t: number;
  run: string | null;
  /** `'tls'`: TLS records (see `TapLayer`). */
  layer?: TapLayer;
  /** base64 */
  data: string;
  parts: number[];
}

/** The connection closed. */
export interface TapClose {
  type: 'close';
  conn: number;
  t: number;
  run: string | null;
  /** `'tls'`: TLS records (see `TapLayer`). */
  layer?: TapLayer;
}

/**
 * How a response's generation ended: tokens are generated as they are sent, so when a client
 * goes away the model stops too. `complete`: every token; `client closed`: the client closed the
 * connection (aborted fetch, `EventSource.close()`); `stopped`: a WebSocket `{"type":"stop"}`;
 * `failed`: the model failed (the `fail` setting); `cut`: the server cut the connection (the
 * faults lab's `drop`); `max tokens`: Anthropic's `max_tokens` was reached.
 */
export type GenerationEnd = 'complete' | 'client closed' | 'stopped' | 'failed' | 'cut' | 'max tokens';

/** What one response's generation did: tokens `from…from + generated - 1` of the reply's `of`. */
export interface GenerationReport {
  /** The first token index this response generated (after `Last-Event-ID`, the one after it). */
  from: number;
  /** Tokens generated for this response. */
  generated: number;
  /** Tokens in the whole reply. */
  of: number;
  reason: GenerationEnd;
  /**
   * Set when the response ended early but the generation did not: its log is shared (Redis, or
   * the load-balancer lab's shared log), and it runs to its end for a resume on any instance.
   */
  runsOn?: true;
}

/** The server's generation behind a response on this connection ended (sent when the response closes). */
export interface TapGeneration extends GenerationReport {
  type: 'generation';
  conn: number;
  t: number;
  run: string | null;
}

/** This tap reader fell behind: `count` events were dropped for it instead of buffering them. */
export interface TapDropped {
  type: 'dropped';
  t: number;
  count: number;
}
