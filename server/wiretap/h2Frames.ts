/**
 * Follows the frames of one direction of an HTTP/2 connection (RFC 9113 §4.1: a 9-byte header,
 * then the payload) across chunks, so the tap can leave out the frames of its own streams and
 * mask header blocks. Reads start with the 24-byte client preface.
 * https://www.rfc-editor.org/rfc/rfc9113#section-4.1
 */
import type { ByteRange } from './wireTap.ts';
import { FrameType } from '../../shared/h2Registry.ts';

const { DATA, HEADERS, WINDOW_UPDATE, CONTINUATION } = FrameType;
const prefaceLength = 24;

/** What `scan` found in one chunk: the bytes kept, and within them the header-block bytes. */
export interface ScannedChunk {
  /** The chunk without the left-out frames (the same Buffer when nothing was left out). */
  kept: Buffer;
  /** Header block bytes (HEADERS and CONTINUATION payloads) within `kept`. */
  headerBlocks: ByteRange[];
  /** The same payload bytes, piece by piece, with their frame (for `H2HeaderConcealer`). */
  headerPieces: HeaderPiece[];
}

/** Part of one HEADERS or CONTINUATION frame's payload within a chunk's kept bytes. */
export interface HeaderPiece {
  /** Where in `kept`; empty for a frame without payload. */
  range: ByteRange;
  type: number;
  flags: number;
  /** Whether this piece ends its frame's payload. */
  last: boolean;
}

export class H2FrameScanner {
  /** Bytes of the client preface still to pass (reads only). */
  #preface: number;
  readonly #header = Buffer.alloc(9);
  #headerFill = 0;
  #payloadLeft = 0;
  #leaveOut = false;
  #headerBlock = false;
  #flags = 0;
  #type = 0;

  /** `leaveOut(type, streamId)`: whether a frame is left out of the tap (the tap's own streams). */
  constructor(
    direction: 'read' | 'write',
    private readonly leaveOut: (type: number, streamId: number) => boolean,
  ) {
    this.#preface = direction === 'read' ? prefaceLength : 0;
  }

  scan(chunk: Buffer): ScannedChunk {
    const kept: Buffer[] = [];
    const headerBlocks: ByteRange[] = [];
    const headerPieces: HeaderPiece[] = [];
    let keptLength = 0;
    let leftOut = false;
    const keep = (start: number, end: number, block = false): void => {
      if (end <= start) return;
      if (block) headerBlocks.push([keptLength, keptLength + end - start]);
      kept.push(chunk.subarray(start, end));
      keptLength += end - start;
    };
    let i = 0;
    while (i < chunk.length) {
      if (this.#preface > 0) {
        const n = Math.min(this.#preface, chunk.length - i);
        keep(i, i + n);
        this.#preface -= n;
        i += n;
      } else if (this.#payloadLeft > 0) {
        const n = Math.min(this.#payloadLeft, chunk.length - i);
        if (this.#leaveOut) leftOut = true;
        else {
          if (this.#headerBlock)
            headerPieces.push({ range: [keptLength, keptLength + n], type: this.#type, flags: this.#flags, last: n === this.#payloadLeft });
          keep(i, i + n, this.#headerBlock);
        }
        this.#payloadLeft -= n;
        i += n;
      } else {
        const n = Math.min(9 - this.#headerFill, chunk.length - i);
        chunk.copy(this.#header, this.#headerFill, i, i + n);
        const headerStart = i;
        this.#headerFill += n;
        i += n;
        if (this.#headerFill < 9) {
          // The rest of the header comes in the next chunk: keep these bytes (a left-out frame is
          // one whose header is whole in a chunk; the tap's own frames are written whole).
          keep(headerStart, i);
          continue;
        }
        this.#headerFill = 0;
        const length = this.#header.readUIntBE(0, 3);
        const type = this.#header[3]!;
        const streamId = this.#header.readUInt32BE(5) & 0x7fffffff;
        this.#payloadLeft = length;
        this.#leaveOut = n === 9 && streamId !== 0 && (type === DATA || type === WINDOW_UPDATE) && this.leaveOut(type, streamId);
        this.#headerBlock = type === HEADERS || type === CONTINUATION;
        this.#type = type;
        this.#flags = this.#header[4]!;
        if (this.#leaveOut) leftOut = true;
        else keep(headerStart, i);
        if (this.#headerBlock && length === 0) headerPieces.push({ range: [keptLength, keptLength], type, flags: this.#flags, last: true });
      }
    }
    return { kept: leftOut ? Buffer.concat(kept, keptLength) : chunk, headerBlocks, headerPieces };
  }
}
