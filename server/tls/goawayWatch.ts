/**
 * Follows the frames a server writes on one HTTP/2 connection, reading only their 9-byte headers
 * (and the error code of a GOAWAY), and calls `onError` once when a GOAWAY with an error code has
 * been written. RFC 9113 §5.4.1: "After sending the GOAWAY frame for an error condition, the
 * endpoint MUST close the TCP connection"; nghttp2 answers many connection errors with that
 * GOAWAY itself (an oversized frame, DATA on stream 0, a header block it cannot decode…), and
 * Node then leaves the connection open, natively too. This tells the HTTPS port to close it.
 * https://www.rfc-editor.org/rfc/rfc9113#section-5.4.1
 */
import { FrameType } from '../../shared/h2Registry.ts';

export function goawayWatch(onError: (code: number) => void): (chunk: Buffer) => void {
  /** Payload bytes still to pass before the next frame header. */
  let skip = 0;
  /** A frame header (and a GOAWAY's first 8 payload bytes) split across writes. */
  let held = Buffer.alloc(0);
  let done = false;
  return (chunk) => {
    let i = 0;
    while (!done && i < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        continue;
      }
      const goaway = held.length >= 9 && held[3] === FrameType.GOAWAY;
      const need = goaway ? 17 : 9;
      const take = Math.min(need - held.length, chunk.length - i);
      held = Buffer.concat([held, chunk.subarray(i, i + take)]);
      i += take;
      if (held.length < need || (!goaway && held[3] === FrameType.GOAWAY)) continue;
      const length = held.readUIntBE(0, 3);
      if (goaway) {
        skip = Math.max(0, length - 8);
        const code = held.readUInt32BE(13);
        if (code !== 0) {
          done = true;
          onError(code);
        }
      } else {
        skip = length;
      }
      held = Buffer.alloc(0);
    }
  };
}
