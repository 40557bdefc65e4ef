import type { ByteRange, SecretFinder } from '../../shared/secretHeaders.ts';

/**
 * Finds one exact byte string (the presenter token, an upstream key) wherever it shows up in one
 * direction of one connection, fed chunk by chunk in order. What it guarantees:
 *
 * - every occurrence inside one chunk is found whole;
 * - an occurrence split across chunks (two or more: a head sent byte by byte) is found in every
 *   chunk after the first, and in the first when that chunk's end holds at least `minPrefix` of
 *   its bytes. A split after fewer bytes leaves those few bytes (at most `minPrefix - 1`) in the
 *   earlier chunk unfound: marking every chunk end that could start the secret would hide
 *   ordinary text at the end of many chunks.
 * - a chunk end of at least `minPrefix` bytes that starts the secret is found even when the next
 *   chunk does not complete it (it is decided before the next chunk exists): that hides more,
 *   never less.
 *
 * It allocates nothing per chunk: one native search for the whole secret, one for its first byte
 * near the chunk's end, and a comparison for each match still open.
 */
export class ExactBytesFinder implements SecretFinder {
  readonly #secret: Buffer;
  readonly #minPrefix: number;
  /** Lengths k (< the secret's) such that the bytes so far end with the secret's first k bytes. */
  #open: number[] = [];

  constructor(secret: string | Uint8Array, { minPrefix = 4 }: { minPrefix?: number } = {}) {
    this.#secret = typeof secret === 'string' ? Buffer.from(secret) : Buffer.from(secret);
    this.#minPrefix = Math.max(1, minPrefix);
  }

  scan(chunk: Uint8Array): ByteRange[] {
    const secret = this.#secret;
    const length = secret.length;
    if (length === 0 || chunk.length === 0) return [];
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const ranges: ByteRange[] = [];
    const open: number[] = [];
    // Occurrences begun in earlier chunks: this one's start completes or continues them.
    for (const k of this.#open) {
      const need = length - k;
      if (bytes.length >= need) {
        if (secret.compare(bytes, 0, need, k, length) === 0) ranges.push([0, need]);
      } else if (secret.compare(bytes, 0, bytes.length, k, k + bytes.length) === 0) {
        open.push(k + bytes.length);
        if (k + bytes.length >= this.#minPrefix) ranges.push([0, bytes.length]);
      }
    }
    for (let at = bytes.indexOf(secret); at >= 0; at = bytes.indexOf(secret, at + 1)) ranges.push([at, at + length]);
    // The chunk's end may start an occurrence the next chunk completes.
    const first = secret[0]!;
    for (let at = bytes.indexOf(first, Math.max(0, bytes.length - length + 1)); at >= 0; at = bytes.indexOf(first, at + 1)) {
      const k = bytes.length - at;
      if (secret.compare(bytes, at, bytes.length, 0, k) !== 0) continue;
      open.push(k);
      if (k >= this.#minPrefix) ranges.push([at, bytes.length]);
    }
    this.#open = open;
    return ranges;
  }
}
