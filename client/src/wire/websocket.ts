import { emitOpaque } from './body.ts';
import { decodeUtf8, plural, quote, readJson, shorten, utf8Length } from './format.ts';
import type { LeafInfo, PieceExtra, SegmentSink } from './segmentSink.ts';
import { ElementBuffer, sliceSpans, subPiece } from './spans.ts';
import type { Piece, Span } from './spans.ts';
import { jsonName, tokenOf } from './tokens.ts';
import { closeCodeName, describeFirstByte, describeSecondByte, opcodeName } from './wsNames.ts';

type Phase = 'b0' | 'b1' | 'ext' | 'key' | 'payload';

interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  length: number;
  key?: Uint8Array;
}

/** A data message being read, possibly over several frames (RFC 6455 §5.4). */
interface Message {
  decoder: TextDecoder | undefined;
  text: string;
  /** A strict decoder over the whole message, so a character split across frames is checked whole (RFC 6455 §8.1). */
  check?: TextDecoder;
}

/** After a protocol error, what a real endpoint does and what the dissector does instead. */
const FAIL = 'A real endpoint must fail the WebSocket connection here (RFC 6455 §7.1.7); the dissector reads on so every byte is still shown.';

/** A leaf flagged as a protocol error: `problems` (each citing its section) lead the explanation. */
function flagged(base: { label: string; explain: string }, problems: { short: string; why: string }[]): { kind: 'error'; label: string; explain: string } {
  return {
    kind: 'error',
    label: `${base.label}: ${problems.map((p) => p.short).join('; ')}`,
    explain: `Protocol error: ${problems.map((p) => p.why).join(' ')} ${FAIL} ${base.explain}`,
  };
}

/** Whether `bytes` are well-formed UTF-8 (RFC 3629), as RFC 6455 §8.1 requires of text. */
function validUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * A close code an endpoint may send (RFC 6455 §7.4.1, §7.4.2): 1000–1003, 1007–1014 (1012–1014 are
 * registered with IANA), 3000–4999. Undefined codes are the reason why, for the explanation.
 */
export function closeCodeProblem(code: number): string | undefined {
  if (code === 1005 || code === 1006 || code === 1015) {
    return `${code} is only for an endpoint to report that no code was received, that the connection dropped, or a TLS failure; it must not be sent in a close frame (RFC 6455 §7.4.1).`;
  }
  if (code < 1000) return `codes 0–999 are not used (RFC 6455 §7.4.2).`;
  if (code === 1004) return `1004 is reserved (RFC 6455 §7.4.1).`;
  if (code >= 1016 && code <= 2999) return `codes 1016–2999 are reserved for this protocol and its extensions; ${code} is not defined (RFC 6455 §7.4.2).`;
  if (code >= 5000) return `codes above 4999 are not defined (RFC 6455 §7.4.2).`;
  return undefined;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Byte i of the payload XOR key byte i mod 4 (RFC 6455 §5.3); masking and unmasking are the same. */
export function unmask(bytes: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = (bytes[i] ?? 0) ^ (key[i & 3] ?? 0);
  return out;
}

/**
 * WebSocket frames in one direction, after a `101 Switching Protocols` (RFC 6455 §5.2):
 * byte 0 = FIN, RSV1-3, opcode; byte 1 = MASK, 7-bit length; 2 or 8 bytes of extended length;
 * a 4-byte masking key if MASK; the payload. Each field is a leaf; frames may arrive split over
 * reads, and one read may carry several. https://www.rfc-editor.org/rfc/rfc6455#section-5.2
 */
export class WebSocketParser {
  #sink: SegmentSink;
  #phase: Phase = 'b0';
  #want = 1;
  #buf = new ElementBuffer();
  #frame: Frame = { fin: true, rsv: 0, opcode: 0, masked: false, length: 0 };
  #frameNo = 0;
  #message: Message | undefined;
  #broken = false;
  /** RSV1 means "compressed" when the handshake negotiated permessage-deflate (RFC 7692 §6). */
  #deflate: boolean;

  constructor(sink: SegmentSink, opts: { deflate?: boolean } = {}) {
    this.#sink = sink;
    this.#deflate = opts.deflate === true;
  }

  feed(p: Piece): void {
    let pos = 0;
    for (;;) {
      if (this.#broken) {
        if (pos < p.bytes.length) emitOpaque(this.#sink, subPiece(p, pos), 'Bytes after a broken WebSocket frame: not dissected.');
        return;
      }
      if (this.#buf.length < this.#want) {
        if (pos >= p.bytes.length) return;
        const n = Math.min(this.#want - this.#buf.length, p.bytes.length - pos);
        this.#buf.add(subPiece(p, pos, pos + n));
        pos += n;
        if (this.#buf.length < this.#want) return;
      }
      const { bytes, spans } = this.#buf.take();
      this.#field(bytes, spans);
    }
  }

  heldFrom(): number | undefined {
    return this.#buf.start;
  }

  end(): void {
    const { spans } = this.#buf.take();
    this.#emit(spans, {
      layer: 'ws',
      kind: 'incomplete',
      label: `incomplete frame ${this.#frameNo}`,
      explain: 'Part of a WebSocket frame: the stream ended, or the recording stops, before the rest arrived.',
    });
  }

  #next(phase: Phase, want: number): void {
    this.#phase = phase;
    this.#want = want;
  }

  #field(bytes: Uint8Array, spans: Span[]): void {
    const f = this.#frame;
    switch (this.#phase) {
      case 'b0': {
        const b = bytes[0] ?? 0;
        this.#frameNo++;
        this.#frame = { fin: b >> 7 === 1, rsv: (b >> 4) & 7, opcode: b & 0xf, masked: false, length: 0 };
        const { fin, rsv, opcode } = this.#frame;
        const base = describeFirstByte(this.#frameNo, fin, rsv, opcode, this.#deflate);
        const problems = this.#firstByteProblems(fin, rsv, opcode);
        this.#emit(spans, problems.length > 0 ? { layer: 'ws', ...flagged(base, problems) } : { layer: 'ws', kind: 'ws-fin-opcode', ...base });
        return this.#next('b1', 1);
      }
      case 'b1': {
        const b = bytes[0] ?? 0;
        f.masked = b >> 7 === 1;
        const len7 = b & 0x7f;
        const base = describeSecondByte(this.#sink.dir === 'up', f.masked, len7);
        const problems = this.#secondByteProblems(f.masked, len7);
        this.#emit(spans, problems.length > 0 ? { layer: 'ws', ...flagged(base, problems) } : { layer: 'ws', kind: 'ws-mask-len', ...base });
        if (len7 >= 126) return this.#next('ext', len7 === 126 ? 2 : 8);
        f.length = len7;
        return this.#afterLength();
      }
      case 'ext': {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const high = bytes.length === 8 ? view.getUint32(0) : 0;
        f.length = bytes.length === 2 ? view.getUint16(0) : high * 2 ** 32 + view.getUint32(4);
        if (high > 0x1fffff) {
          // Beyond 2^53 bytes: no real frame is that long, so the bytes are not a frame.
          this.#broken = true;
          return this.#emit(spans, {
            layer: 'ws',
            kind: 'error',
            label: 'impossible payload length',
            explain: 'A 64-bit length this large cannot be real; the rest of this direction is not dissected (RFC 6455 §5.2).',
          });
        }
        const bits = bytes.length * 8;
        this.#emit(spans, {
          layer: 'ws',
          kind: 'ws-ext-len',
          label: `extended length ${plural(f.length, 'byte')} (${bits}-bit)`,
          explain: `The payload length as a ${bits}-bit big-endian number, since it did not fit in 7 bits (RFC 6455 §5.2).`,
        });
        return this.#afterLength();
      }
      case 'key':
        f.key = bytes.slice();
        this.#emit(spans, {
          layer: 'ws',
          kind: 'ws-mask-key',
          label: `masking key ${hex(f.key)} (varies)`,
          explain:
            'Four random bytes the client picks for each frame and XORs over the payload, so a page cannot put ' +
            'chosen bytes on the wire to fool a proxy (RFC 6455 §5.3, §10.3).',
          varying: true,
        });
        return this.#next('payload', f.length);
      case 'payload':
        this.#payload(bytes, spans);
        return this.#next('b0', 1);
    }
  }

  /** What byte 0 breaks: RSV bits (§5.2), a fragmented control frame (§5.5), the order of fragments (§5.4). */
  #firstByteProblems(fin: boolean, rsv: number, opcode: number): { short: string; why: string }[] {
    const problems: { short: string; why: string }[] = [];
    const control = (opcode & 8) !== 0;
    const inMessage = this.#message !== undefined;
    const rsv1Allowed = this.#deflate && (opcode === 0x1 || opcode === 0x2);
    const stray = rsv & (rsv1Allowed ? 3 : 7);
    if (stray !== 0) {
      const bits = [4, 2, 1].filter((b) => stray & b).map((b) => `RSV${b === 4 ? 1 : b === 2 ? 2 : 3}`);
      const why =
        this.#deflate && stray & 4
          ? 'RSV1 is set on a frame that does not start a data message; permessage-deflate marks only the first frame of a message (RFC 7692 §6.1).'
          : `${bits.join(', ')} set, but no extension that gives ${bits.length > 1 ? 'them' : 'it'} a meaning was negotiated in the handshake; a receiver must fail the connection (RFC 6455 §5.2).`;
      const short = this.#deflate && stray === 4 ? 'RSV1 outside the first frame of a data message' : `${bits.join(', ')} without an extension`;
      problems.push({ short, why });
    }
    if (opcodeName(opcode) === 'reserved') {
      problems.push({ short: 'reserved opcode', why: `Opcode ${opcode} is reserved; a receiver must fail the connection (RFC 6455 §5.2).` });
    } else if (control && !fin) {
      problems.push({ short: 'fragmented control frame', why: 'A control frame must not be fragmented: its FIN bit must be 1 (RFC 6455 §5.5).' });
    } else if (opcode === 0x0 && !inMessage) {
      problems.push({ short: 'continuation with nothing to continue', why: 'A continuation frame, but no fragmented message was started (RFC 6455 §5.4).' });
    } else if ((opcode === 0x1 || opcode === 0x2) && inMessage) {
      problems.push({
        short: 'new message inside a fragmented one',
        why: 'A new text or binary frame before the fragmented message in progress ended; only control frames may come between its fragments (RFC 6455 §5.4).',
      });
    }
    return problems;
  }

  /** What byte 1 breaks: the MASK bit for this direction (§5.1), a control payload over 125 bytes (§5.5). */
  #secondByteProblems(masked: boolean, len7: number): { short: string; why: string }[] {
    const problems: { short: string; why: string }[] = [];
    const fromClient = this.#sink.dir === 'up';
    if (fromClient && !masked) {
      problems.push({
        short: 'unmasked client frame',
        why: 'A client must mask every frame it sends; a server that receives an unmasked frame must close the connection (RFC 6455 §5.1).',
      });
    } else if (!fromClient && masked) {
      problems.push({
        short: 'masked server frame',
        why: 'A server must not mask the frames it sends; a client that receives a masked frame must close the connection (RFC 6455 §5.1).',
      });
    }
    if ((this.#frame.opcode & 8) !== 0 && len7 > 125) {
      problems.push({ short: 'control payload over 125 bytes', why: 'A control frame carries at most 125 bytes of payload (RFC 6455 §5.5).' });
    }
    return problems;
  }

  #afterLength(): void {
    if (this.#frame.masked) this.#next('key', 4);
    else this.#next('payload', this.#frame.length);
  }

  #payload(bytes: Uint8Array, spans: Span[]): void {
    const f = this.#frame;
    const plain = f.key ? unmask(bytes, f.key) : bytes;
    const extra = (from: number): PieceExtra | undefined => (f.key ? (s, e) => ({ unmasked: plain.subarray(from + s, from + e) }) : undefined);
    const common = { layer: 'ws', kind: 'ws-payload', ...(f.key ? { varying: true } : {}) } as const;
    const masking = f.key ? '; on the wire it is masked, the text shows it unmasked (RFC 6455 §5.3)' : '';
    if (f.opcode === 0x8) return this.#close(plain, spans, extra);
    if (f.opcode === 0x9 || f.opcode === 0xa) {
      const text = decodeUtf8(plain);
      const name = opcodeName(f.opcode);
      const explain = `Application data of a ${name}; a pong echoes the ping's payload (RFC 6455 §5.5.2)${masking}.`;
      return this.#emit(spans, { ...common, label: `${name} payload ${quote(text)}`, explain, text }, extra(0));
    }
    if (f.opcode !== 0x0) {
      const text = f.opcode === 0x1 && (f.rsv & 4) === 0;
      this.#message = {
        decoder: text ? new TextDecoder() : undefined,
        text: '',
        ...(text ? { check: new TextDecoder('utf-8', { fatal: true }) } : {}),
      };
    } else if (!this.#message) {
      // A continuation with nothing to continue (flagged on its first byte): read as a message of unknown type.
      this.#message = { decoder: undefined, text: '' };
    }
    const msg = this.#message;
    const text = msg.decoder?.decode(plain, { stream: !f.fin });
    if (text !== undefined) msg.text += text;
    let badUtf8 = false;
    if (msg.check) {
      try {
        msg.check.decode(plain, { stream: !f.fin });
      } catch {
        badUtf8 = true;
        delete msg.check;
      }
    }
    if (f.fin) this.#message = undefined;
    const json = f.fin && msg.decoder && !badUtf8 ? readJson(msg.text) : undefined;
    const token = tokenOf(json, { next: 0 });
    let described: { label: string; explain: string };
    if (token) {
      described = {
        label: `payload: token ${token.index} ${quote(token.text, 24)}`,
        explain: `A text message carrying token ${token.index} as JSON, right after the frame header${masking || ' (RFC 6455 §5.6)'}.`,
      };
    } else if (text !== undefined) {
      const name = jsonName(json);
      const continued = f.fin ? ' (RFC 6455 §5.6)' : ', part of a message continued in the next frame (RFC 6455 §5.4)';
      described = {
        label: `text payload${name ? ` (${name})` : ''}: ${shorten(text)}`,
        explain: `The payload: UTF-8 text${continued}${masking}.`,
      };
    } else {
      const compressed = (f.rsv & 4) !== 0;
      described = {
        label: `${compressed ? 'compressed' : 'binary'} payload, ${plural(plain.length, 'byte')}`,
        explain: `${compressed ? 'A payload compressed with permessage-deflate (RFC 7692), not decoded here' : 'Binary payload bytes'}${masking}.`,
      };
    }
    const tokenInfo = token ? { token: token.index, tokenText: token.text, payloadBytes: utf8Length(token.text) } : {};
    if (badUtf8) {
      const why = `A text message must be valid UTF-8, checked over the whole message across its frames; ${f.fin ? 'this frame holds malformed bytes or ends the message inside a character' : 'this frame holds malformed bytes'}, and a receiver must fail the connection (RFC 6455 §5.6, §8.1).`;
      described = flagged(described, [{ short: 'invalid UTF-8', why }]);
    }
    this.#emit(spans, { ...common, ...described, ...(text !== undefined ? { text } : {}), ...tokenInfo }, extra(0));
  }

  /** A close frame's payload: a 2-byte status code, then a UTF-8 reason (RFC 6455 §5.5.1). */
  #close(plain: Uint8Array, spans: Span[], extra: (from: number) => PieceExtra | undefined): void {
    const varying = this.#frame.key ? { varying: true } : {};
    if (plain.length === 1) {
      const explain = 'A close payload must be empty or start with a 2-byte code (RFC 6455 §5.5.1).';
      return this.#emit(spans, { layer: 'ws', kind: 'error', label: 'close payload of 1 byte', explain }, extra(0));
    }
    if (plain.length === 0) return;
    const code = ((plain[0] ?? 0) << 8) | (plain[1] ?? 0);
    const codeBase = {
      label: `close code ${code} (${closeCodeName(code)})`,
      explain: 'Why the connection is closing, as a 2-byte number; the other side answers with its own close frame (RFC 6455 §5.5.1, §7.4).',
    };
    const codeProblem = closeCodeProblem(code);
    const codeInfo = {
      layer: 'ws',
      ...(codeProblem
        ? flagged(codeBase, [{ short: 'must not be sent', why: `Close code ${code}: ${codeProblem}` }])
        : { kind: 'ws-close-code' as const, ...codeBase }),
      text: String(code),
      ...varying,
    } as const;
    this.#emit(sliceSpans(spans, 0, 2), codeInfo, extra(0));
    if (plain.length === 2) return;
    const reason = decodeUtf8(plain.subarray(2));
    const base = { label: `close reason ${quote(reason)}`, explain: 'The reason for closing, as UTF-8 text for people (RFC 6455 §5.5.1).' };
    const described = validUtf8(plain.subarray(2))
      ? { kind: 'ws-close-reason' as const, ...base }
      : flagged(base, [{ short: 'invalid UTF-8', why: 'The close reason must be valid UTF-8 (RFC 6455 §5.5.1, §8.1).' }]);
    this.#emit(sliceSpans(spans, 2, plain.length), { layer: 'ws', ...described, text: reason, ...varying }, extra(2));
  }

  #emit(spans: readonly Span[], info: LeafInfo, extra?: PieceExtra): void {
    this.#sink.emit(spans, { ...info, frame: this.#frameNo }, extra);
  }
}
