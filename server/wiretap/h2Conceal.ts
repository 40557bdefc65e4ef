/**
 * HTTP/2 header blocks are HPACK-coded (RFC 7541): browsers Huffman-code literals, and a field
 * sent once is later only an index into the dynamic table, so no byte search finds a secret in
 * them, yet the page's dissector decodes HPACK and would show it. `H2HeaderConcealer` decodes the
 * header blocks of one direction of one connection (the page's own decoder, `shared/hpack.ts`,
 * with the dynamic table kept across blocks as the peer's is) and says which blocks carry a
 * secret field: the tap masks those whole. A later block that only indexes that entry carries no
 * byte of the secret (the page's dissector cannot resolve the index: it shows the field unknown).
 * https://www.rfc-editor.org/rfc/rfc9113#section-4.3
 */
import { HpackDecoder } from '../../shared/hpack.ts';
import { Flag, FrameType } from '../../shared/h2Registry.ts';
import type { ByteRange } from '../../shared/secretHeaders.ts';
import type { HeaderPiece } from './h2Frames.ts';

/** Hidden blocks remembered: the tap asks about a block soon after it ends. */
const remembered = 4096;

/** A header piece of a chunk, with the serial number of its header block. */
export interface BlockPiece {
  range: ByteRange;
  block: number;
}

export class H2HeaderConcealer {
  readonly #decoder = new HpackDecoder();
  /** The current frame's payload so far (copies: Node reuses read buffers). */
  #frame: Buffer[] = [];
  /** The current block's fragments so far (HEADERS, then CONTINUATION). */
  #fragments: Buffer[] = [];
  /** Serial number of the current (or next) block. */
  #block = 0;
  #open = false;
  readonly #hidden = new Set<number>();
  /** Decoding failed (the table is out of step): every block from here on is hidden. */
  #lost = false;

  /** `secret(name, value)`: whether a decoded field carries a secret. */
  constructor(private readonly secret: (name: string, value: string) => boolean) {
    // The peer's encoder may use a larger table than the default 4096 (SETTINGS_HEADER_TABLE_SIZE):
    // this decoder follows the size updates it is sent, whatever the settings said.
    this.#decoder.limit = 2 ** 30;
  }

  /** Feeds one chunk's header pieces (from `H2FrameScanner`, within `kept`), in order; returns each with its block. */
  feed(kept: Buffer, pieces: readonly HeaderPiece[]): BlockPiece[] {
    const found: BlockPiece[] = [];
    for (const piece of pieces) {
      this.#open = true;
      found.push({ range: piece.range, block: this.#block });
      this.#frame.push(Buffer.from(kept.subarray(piece.range[0], piece.range[1])));
      if (!piece.last) continue;
      const payload = Buffer.concat(this.#frame);
      this.#frame = [];
      const fragment = fragmentOf(payload, piece.type, piece.flags);
      if (fragment) this.#fragments.push(fragment);
      else this.#lost = true;
      // A HEADERS frame without END_HEADERS is continued by CONTINUATION frames; the last has the flag.
      if (piece.flags & Flag.END_HEADERS) this.#finish();
    }
    return found;
  }

  /** Whether a header block has begun and not yet ended. */
  get open(): boolean {
    return this.#open;
  }

  /** Whether block `serial` is to be masked. */
  hidden(serial: number): boolean {
    return this.#hidden.has(serial);
  }

  /** The open block is masked whatever it turns out to hold (held too long, or the connection closed). */
  hideOpen(): void {
    if (this.#open) this.#hidden.add(this.#block);
  }

  #finish(): void {
    const serial = this.#block++;
    const block = Buffer.concat(this.#fragments);
    this.#fragments = [];
    this.#open = false;
    this.#hidden.delete(serial - remembered);
    if (!this.#lost) {
      const { fields, error } = this.#decoder.decodeBlock(block);
      if (error) this.#lost = true;
      else if (!fields.some((field) => this.secret(field.name, field.value))) return;
    }
    this.#hidden.add(serial);
  }
}

/** The header block fragment of a HEADERS or CONTINUATION payload (without padding and priority); null if malformed. */
function fragmentOf(payload: Buffer, type: number, flags: number): Buffer | null {
  if (type !== FrameType.HEADERS) return payload;
  let start = 0;
  let end = payload.length;
  if (flags & Flag.PADDED) {
    if (payload.length < 1) return null;
    start = 1;
    end -= payload[0]!;
  }
  if (flags & Flag.PRIORITY) start += 5;
  return start <= end ? payload.subarray(start, end) : null;
}
