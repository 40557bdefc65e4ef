import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ThrottleOptions {
  /** Bytes per second let through; `null` for no limit. @default null */
  bytesPerSecond?: number | null;
  /**
   * ms each write waits before its first byte goes out. Writes queue behind each other, so
   * when they come faster than one per `latencyMs` the delays add up. @default 0
   */
  latencyMs?: number;
  /** ms between the slices of a throttled write: the granularity of the throttle. @default 50 */
  sliceMs?: number;
}

/**
 * A Writable in front of another (an HTTP response) that slows down what passes through, the
 * way a slow link or an overloaded proxy would. Each write waits `latencyMs`, then goes out in
 * slices of `bytesPerSecond × sliceMs` bytes, one slice every `sliceMs`: on the wire one SSE
 * event becomes several chunks, and the page's parser has to join them.
 *
 * A write's callback fires once the target has flushed its last slice (an HTTP response: handed
 * to the kernel), so whoever awaits it knows those bytes are out, e.g. before cutting the
 * connection. When the target closes, pending and later writes are dropped, not errors.
 */
export class ThrottledWritable extends Writable {
  readonly #target: Writable;
  readonly #bytesPerSecond: number | null;
  readonly #latencyMs: number;
  readonly #sliceMs: number;
  readonly #abort = new AbortController();
  /** When the throttle lets the next byte go, in `performance.now()` ms. */
  #nextAt = 0;

  constructor(target: Writable, { bytesPerSecond = null, latencyMs = 0, sliceMs = 50 }: ThrottleOptions = {}) {
    super({ decodeStrings: true });
    this.#target = target;
    this.#bytesPerSecond = bytesPerSecond;
    this.#latencyMs = latencyMs;
    this.#sliceMs = sliceMs;
    target.once('close', () => this.destroy());
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#pass(chunk).then(
      () => callback(),
      // Aborted by destroy(), or the target went away: the bytes have nowhere to go.
      () => callback(),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#target.destroyed || this.#target.writableEnded) return callback();
    this.#target.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#abort.abort();
    callback(error);
  }

  async #pass(chunk: Buffer): Promise<void> {
    const signal = this.#abort.signal;
    if (this.#latencyMs > 0) await sleep(this.#latencyMs, undefined, { signal });
    const rate = this.#bytesPerSecond;
    if (rate === null) return writeTo(this.#target, chunk);
    const slice = Math.max(1, Math.floor((rate * this.#sliceMs) / 1000));
    for (let at = 0; at < chunk.length; at += slice) {
      const wait = this.#nextAt - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal });
      const piece = chunk.subarray(at, at + slice);
      this.#nextAt = Math.max(this.#nextAt, performance.now()) + (piece.length * 1000) / rate;
      await writeTo(this.#target, piece);
    }
  }
}

/** Writes and resolves once the target has flushed the bytes; rejects if it closes first. */
function writeTo(target: Writable, bytes: Buffer): Promise<void> {
  if (target.destroyed || target.writableEnded) return Promise.reject(new Error('target closed'));
  return new Promise((resolve, reject) => {
    const closed = (): void => reject(new Error('target closed'));
    target.once('close', closed);
    target.write(bytes, (error) => {
      target.off('close', closed);
      if (error) reject(error);
      else resolve();
    });
  });
}
