import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * A Duplex in front of another stream that moves every byte through JavaScript, so the wire tap
 * can watch it: Node's TLS and HTTP/2 code read and write a real socket natively, past any
 * JavaScript hook, but wrap a plain Duplex in a stream they drive with `'data'` and `write`.
 * Looks enough like a `net.Socket` (addresses, `setNoDelay`, `setTimeout`…) for HTTP servers,
 * Express and the tap, whose `attach` hooks `'data'` and `_writeGeneric` as on a socket.
 */
export class PassThroughSocket extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /** Set on the plaintext side of TLS (Express's `req.protocol` reads it). */
  encrypted?: boolean;
  /** The ALPN result, on the plaintext side of TLS (the HTTP/2 server picks HTTP/1.1 or h2 by it). */
  alpnProtocol?: string | false;
  /** The server it was handed to (Node's HTTP servers read their options from here). */
  server?: unknown;
  /** Sees every chunk read before it goes on, and keeps it from going on by returning true (the HTTPS port answers plain HTTP itself). */
  intercept?: (chunk: Buffer) => boolean;
  /** Sees every chunk written, before it goes on (the HTTPS port watches HTTP/2 frames for a GOAWAY). */
  onWrite?: (chunk: Buffer) => void;
  readonly #inner: Duplex;
  readonly #tcp: Socket;

  /** `inner`: the stream the bytes go to and come from; `tcp`: the connection it is on (addresses, timeouts). */
  constructor(inner: Duplex, tcp: Socket) {
    super({ allowHalfOpen: false });
    this.#inner = inner;
    this.#tcp = tcp;
    this.remoteAddress = tcp.remoteAddress;
    this.remotePort = tcp.remotePort;
    this.remoteFamily = tcp.remoteFamily;
    this.localAddress = tcp.localAddress;
    this.localPort = tcp.localPort;
    inner.on('data', (chunk: Buffer) => {
      if (this.intercept?.(chunk)) return;
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (error) => this.destroy(error));
    inner.on('close', () => this.destroy());
  }

  override _read(): void {
    this.#inner.resume();
  }

  /** Every write passes here, one call per batch (the tap hooks it, as on a `net.Socket`). */
  _writeGeneric(writev: boolean, data: unknown, encoding: BufferEncoding, cb: (error?: Error | null) => void): void {
    if (this.#inner.destroyed) return cb(new Error('The connection is closed.'));
    if (!writev) {
      if (this.onWrite) this.onWrite(typeof data === 'string' ? Buffer.from(data, encoding) : (data as Buffer));
      this.#inner.write(data as Buffer, encoding, cb);
      return;
    }
    // One write for the batch: into TLS, each write is a record of its own, and HTTP/2 writes a
    // frame's 9-byte header and its payload as two chunks (a DATA frame would otherwise cross the
    // network as two records, one of them 9 bytes of plaintext long).
    const chunks = data as { chunk: Buffer | string; encoding: BufferEncoding }[];
    const batch = Buffer.concat(chunks.map(({ chunk, encoding: enc }) => (typeof chunk === 'string' ? Buffer.from(chunk, enc) : chunk)));
    this.onWrite?.(batch);
    this.#inner.write(batch, cb);
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, cb: (error?: Error | null) => void): void {
    this._writeGeneric(false, chunk, encoding, cb);
  }

  override _writev(chunks: { chunk: Buffer; encoding: BufferEncoding }[], cb: (error?: Error | null) => void): void {
    this._writeGeneric(true, chunks, 'buffer' as BufferEncoding, cb);
  }

  override _final(cb: (error?: Error | null) => void): void {
    this.#inner.end(cb);
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    this.#inner.destroy();
    cb(error);
  }

  setNoDelay(noDelay?: boolean): this {
    this.#tcp.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.#tcp.setKeepAlive(enable, delay);
    return this;
  }

  /** Idle timeout of the TCP connection, reported as this stream's `'timeout'`. */
  setTimeout(ms: number, callback?: () => void): this {
    if (callback) this.once('timeout', callback);
    this.#tcp.removeListener('timeout', this.#onTimeout);
    if (ms > 0) this.#tcp.on('timeout', this.#onTimeout);
    this.#tcp.setTimeout(ms);
    return this;
  }

  readonly #onTimeout = (): void => void this.emit('timeout');

  ref(): this {
    this.#tcp.ref();
    return this;
  }

  unref(): this {
    this.#tcp.unref();
    return this;
  }

  address(): ReturnType<Socket['address']> {
    return this.#tcp.address();
  }

  get bytesWritten(): number {
    return this.#tcp.bytesWritten;
  }

  get bytesRead(): number {
    return this.#tcp.bytesRead;
  }
}
