/** Names from the WebSocket registries, RFC 6455 §11.8 (opcodes) and §7.4.1 (close codes). */

const opcodes: Record<number, string> = {
  0x0: 'continuation',
  0x1: 'text',
  0x2: 'binary',
  0x8: 'close',
  0x9: 'ping',
  0xa: 'pong',
};

/** `text`, `ping`… or `reserved`. https://www.rfc-editor.org/rfc/rfc6455#section-5.2 */
export function opcodeName(opcode: number): string {
  return opcodes[opcode] ?? 'reserved';
}

const opcodeExplain: Record<number, string> = {
  0x0: 'continues a message split over several frames',
  0x1: 'a text frame: the payload is UTF-8 text',
  0x2: 'a binary frame',
  0x8: 'a close frame: this side wants to end the connection',
  0x9: 'a ping: the other side must answer with a pong (used to find dead peers)',
  0xa: 'a pong: the answer to a ping',
};

/** What the opcode means, for a learner. */
export function opcodeMeaning(opcode: number): string {
  return opcodeExplain[opcode] ?? 'a reserved opcode, which a receiver must reject';
}

const closeCodes: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status received',
  1006: 'abnormal closure',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension',
  1011: 'internal error',
  1012: 'service restart',
  1013: 'try again later',
  1014: 'bad gateway',
  1015: 'TLS handshake failure',
};

/** `normal closure`… https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1 */
export function closeCodeName(code: number): string {
  const name = closeCodes[code];
  if (name) return name;
  if (code >= 3000 && code <= 3999) return 'registered by a library or framework';
  if (code >= 4000 && code <= 4999) return 'private to this application';
  return 'not a valid close code';
}

type Described = { label: string; explain: string };

/** Byte 0 of a frame: FIN, RSV1-3, opcode (RFC 6455 §5.2). `deflate`: the handshake negotiated permessage-deflate. */
export function describeFirstByte(frame: number, fin: boolean, rsv: number, opcode: number, deflate = false): Described {
  const bits = rsv.toString(2).padStart(3, '0');
  const finMeaning = fin ? '1, this frame ends its message' : '0, more frames of this message follow';
  // RSV1 means "compressed" only where permessage-deflate was negotiated; elsewhere the parser flags it.
  const compressed = rsv & 4 && deflate ? '; RSV1 marks a compressed payload (RFC 7692)' : '';
  return {
    label: `FIN=${fin ? 1 : 0} RSV=${bits} opcode=${opcode} (${opcodeName(opcode)})`,
    explain: `First byte of frame ${frame}: FIN=${finMeaning}; opcode ${opcode} means ${opcodeMeaning(opcode)}${compressed} (RFC 6455 §5.2).`,
  };
}

/** Byte 1 of a frame: MASK bit and 7-bit length (RFC 6455 §5.2, §5.3). */
export function describeSecondByte(fromClient: boolean, masked: boolean, len7: number): Described {
  const follows = len7 === 126 ? ' → 16-bit length follows' : len7 === 127 ? ' → 64-bit length follows' : '';
  const rule = fromClient ? 'a client must mask every frame' : 'a server never masks';
  return {
    label: `MASK=${masked ? 1 : 0}, length ${len7}${follows}`,
    explain: `Second byte: the MASK bit (${rule}, RFC 6455 §5.3) and a 7-bit payload length, where 126 and 127 mean the length follows in 2 or 8 bytes (RFC 6455 §5.2).`,
  };
}
