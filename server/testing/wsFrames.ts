/** WebSocket frames taken apart by hand, so a test checks the framing and masking byte for byte. */
import { expect } from 'vitest';

export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  maskKey: Buffer | null;
  /** Unmasked. */
  payload: Buffer;
  headerLength: number;
}

/** Parses RFC 6455 frames (https://www.rfc-editor.org/rfc/rfc6455#section-5.2), unmasking as it goes. */
export function parseFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at < bytes.length) {
    const b0 = bytes.readUInt8(at);
    const b1 = bytes.readUInt8(at + 1);
    let p = at + 2;
    let length = b1 & 0x7f;
    if (length === 126) {
      length = bytes.readUInt16BE(p);
      p += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(p));
      p += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const maskKey = masked ? Buffer.from(bytes.subarray(p, p + 4)) : null;
    if (masked) p += 4;
    const payload = Buffer.from(bytes.subarray(p, p + length));
    expect(payload.length, `frame at byte ${at} is complete`).toBe(length);
    if (maskKey) for (let i = 0; i < payload.length; i++) payload[i] = payload.readUInt8(i) ^ maskKey.readUInt8(i % 4);
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: b0 & 0x70, opcode: b0 & 0x0f, masked, maskKey, payload, headerLength: p - at });
    at = p + length;
  }
  return frames;
}
