/**
 * The events `/api/tap` streams, one JSON object per SSE `data:` line.
 * Shared by the server (which emits them) and the page (which dissects them).
 *
 * Directions are seen from the server: `read` is client → server, `write` is server → client.
 * Timestamps `t` are milliseconds since the Unix epoch with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`), so a page can estimate its clock offset.
 */
export type TapEvent =
  | TapOpen
  | TapRequest
  | TapRead
  | TapWrite
  | TapClose
  | TapDropped;

/** A TCP connection was accepted (sent once per connection and run). */
export interface TapOpen {
  type: 'open';
  conn: number;
  t: number;
  run: string | null;
  remoteAddress: string;
  remotePort: number;
  localPort: number;
}

/** The HTTP parser finished a request head on this connection: tells which path the bytes belong to. */
export interface TapRequest {
  type: 'request';
  conn: number;
  t: number;
  run: string | null;
  method: string;
  path: string;
}

/** Bytes the server read from the connection. */
export interface TapRead {
  type: 'read';
  conn: number;
  t: number;
  run: string | null;
  /** base64 */
  data: string;
}

/** Bytes the server wrote in one system call; `parts` are the sizes of the buffers written together. */
export interface TapWrite {
  type: 'write';
  conn: number;
  t: number;
  run: string | null;
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
}

/** This tap reader fell behind: `count` events were dropped for it instead of buffering them. */
export interface TapDropped {
  type: 'dropped';
  t: number;
  count: number;
}
