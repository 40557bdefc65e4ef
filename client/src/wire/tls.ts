/**
 * The TLS record layer, dissected (RFC 8446 §5): 5-byte record headers, the handshake messages
 * sent in clear — ClientHello and ServerHello field by field, extensions named and the useful
 * ones decoded (SNI, ALPN, supported_versions, key_share) — ChangeCipherSpec, and every record
 * after encryption starts as opaque encrypted bytes with its boundaries.
 * https://www.rfc-editor.org/rfc/rfc8446#section-5
 */
import { decodeUtf8, plural } from './format.ts';
import type { LeafInfo, PieceExtra, SegmentSink } from './segmentSink.ts';
import { ElementBuffer, concat, sliceSpans, subPiece } from './spans.ts';
import type { Piece, Span } from './spans.ts';
import {
  alertName,
  cipherSuiteName,
  contentTypes,
  extensionMeaning,
  extensionName,
  groupName,
  handshakeTypes,
  isGrease,
  signatureSchemeName,
  versionName,
} from './tlsNames.ts';
import type { ByteEvent, Segment, WireSummary } from './types.ts';
import { WireConnection } from './wireConnection.ts';
import type { DirectionParser } from './wireConnection.ts';

/** What the handshake said in clear, for a summary next to the bytes. */
export interface TlsHandshakeInfo {
  /** ClientHello: server_name (SNI). */
  serverName?: string;
  /** ClientHello: ALPN protocols offered, in order. */
  alpnOffered?: string[];
  /** ClientHello: versions offered in supported_versions. */
  versionsOffered?: string[];
  /** ClientHello: key share groups sent. */
  keyShareGroups?: string[];
  /** ServerHello: the version chosen (supported_versions if present, else legacy_version). */
  version?: string;
  /** ServerHello: the cipher suite chosen. */
  cipherSuite?: string;
  /** The ALPN protocol the server chose, if it was in clear (TLS 1.2; TLS 1.3 hides it in EncryptedExtensions). */
  alpn?: string;
  /** ServerHello: the key share group chosen. */
  keyShareGroup?: string;
}

const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';
const MAX_RECORD = 16_384 + 256;

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const u16 = (b: Uint8Array, at = 0): number => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
const u24 = (b: Uint8Array, at = 0): number => ((b[at] ?? 0) << 16) | ((b[at + 1] ?? 0) << 8) | (b[at + 2] ?? 0);

/** A handshake message ran past its end: the rest of it is shown as an error. */
class Malformed extends Error {}

/**
 * Walks a handshake message field by field, emitting each as a leaf. Reading past the end of
 * the message (or of the vector being read) throws `Malformed`, which the caller catches.
 */
class FieldWalker {
  pos: number;
  #bytes: Uint8Array;
  #end: number;
  #emit: (start: number, end: number, info: Omit<LeafInfo, 'layer'>) => void;

  constructor(bytes: Uint8Array, pos: number, end: number, emit: (start: number, end: number, info: Omit<LeafInfo, 'layer'>) => void) {
    this.#bytes = bytes;
    this.pos = pos;
    this.#end = end;
    this.#emit = emit;
  }

  get end(): number {
    return this.#end;
  }

  /** Reads `n` bytes as one leaf described by `describe`. */
  take(n: number, describe: (b: Uint8Array) => Omit<LeafInfo, 'layer'>): Uint8Array {
    if (n < 0 || this.pos + n > this.#end) throw new Malformed(`a field of ${plural(n, 'byte')} runs past the end`);
    const b = this.#bytes.subarray(this.pos, this.pos + n);
    if (n > 0) this.#emit(this.pos, this.pos + n, describe(b));
    this.pos += n;
    return b;
  }

  /** A length prefix of `size` bytes, as a `tls-length` leaf; returns the length. */
  length(size: number, what: string): number {
    let n = 0;
    this.take(size, (b) => {
      n = size === 1 ? (b[0] ?? 0) : size === 2 ? u16(b) : u24(b);
      return {
        kind: 'tls-length',
        label: `${what} length ${plural(n, 'byte')}`,
        explain: `The length of the ${what}, in bytes: TLS prefixes every variable-length field with its size (RFC 8446 §3.4).`,
      };
    });
    return n;
  }

  /** Runs `body` on the next `n` bytes only; they must be used exactly. */
  within(n: number, body: () => void): void {
    if (this.pos + n > this.#end) throw new Malformed(`a vector of ${plural(n, 'byte')} runs past the end`);
    const outer = this.#end;
    this.#end = this.pos + n;
    body();
    if (this.pos !== this.#end) throw new Malformed('a vector whose contents do not fill it');
    this.#end = outer;
  }
}

/** Reads a list of 2-byte values from `b`. */
function list16(b: Uint8Array, from = 0): number[] {
  const out: number[] = [];
  for (let i = from; i + 1 < b.length; i += 2) out.push(u16(b, i));
  return out;
}

/** The names in an extension's data, for labels: what it says, decoded where worth it. */
function describeExtension(
  type: number,
  data: Uint8Array,
  hello: 'client' | 'server',
  info: TlsHandshakeInfo,
): { label: string; explain: string; text?: string } {
  const name = extensionName(type);
  try {
    switch (type) {
      case 0: {
        if (data.length === 0) return { label: 'server_name (acknowledged)', explain: 'The server saw the name the client asked for (RFC 6066 §3).' };
        const nameLen = u16(data, 3);
        const host = decodeUtf8(data.subarray(5, 5 + nameLen));
        info.serverName = host;
        return {
          label: `SNI ${host}`,
          explain: `Server Name Indication: the host name the client wants, sent in clear so one IP address can serve many sites with the right certificate; anyone on the path can read it (RFC 6066 §3).`,
          text: host,
        };
      }
      case 16: {
        const protocols: string[] = [];
        for (let i = 2; i < data.length;) {
          const n = data[i] ?? 0;
          protocols.push(decodeUtf8(data.subarray(i + 1, i + 1 + n)));
          i += 1 + n;
        }
        if (hello === 'client') info.alpnOffered = protocols;
        else info.alpn = protocols[0];
        return hello === 'client'
          ? {
              label: `ALPN offers ${protocols.join(', ')}`,
              explain: `Application-Layer Protocol Negotiation: the protocols the client can speak over this connection, in order of preference; "h2" is HTTP/2, so no extra round trip is needed to pick it (RFC 7301, RFC 9113 §3.2).`,
              text: protocols.join(', '),
            }
          : {
              label: `ALPN chose ${protocols[0] ?? ''}`,
              explain: 'The protocol the server picked from the client’s list; the bytes after the handshake are that protocol (RFC 7301).',
              text: protocols[0] ?? '',
            };
      }
      case 43: {
        if (hello === 'server') {
          const v = versionName(u16(data));
          info.version = v;
          return {
            label: `supported_versions: chose ${v}`,
            explain: `The version the server chose; TLS 1.3 says so here because legacy_version must stay 1.2 (RFC 8446 §4.2.1).`,
          };
        }
        const offered = list16(data, 1).map(versionName);
        info.versionsOffered = offered;
        return {
          label: `supported_versions: ${offered.join(', ')}`,
          explain: 'The TLS versions the client supports, best first; legacy_version stays 1.2 so old middleboxes do not choke (RFC 8446 §4.2.1).',
        };
      }
      case 51: {
        if (hello === 'server') {
          const g = groupName(u16(data));
          info.keyShareGroup = g;
          return {
            label: `key_share: ${g}`,
            explain: `The server’s half of the key exchange on ${g}; with the client’s half, both sides now derive keys no one on the path can compute, and everything after is encrypted (RFC 8446 §4.2.8).`,
          };
        }
        const found: string[] = [];
        for (let i = 2; i + 3 < data.length;) {
          found.push(groupName(u16(data, i)));
          i += 4 + u16(data, i + 2);
        }
        info.keyShareGroups = found;
        return {
          label: `key_share: ${found.join(', ')}`,
          explain: 'The client’s public keys for a Diffie-Hellman exchange, sent before the server answers so TLS 1.3 needs one round trip (RFC 8446 §4.2.8).',
        };
      }
      case 10:
        return {
          label: `supported_groups: ${list16(data, 2).map(groupName).join(', ')}`,
          explain: 'The key exchange groups the client supports, best first (RFC 8446 §4.2.7).',
        };
      case 13:
        return {
          label: `signature_algorithms: ${plural(list16(data, 2).length, 'scheme')}`,
          explain: `The signature schemes the client accepts in certificates and handshake signatures: ${list16(data, 2).map(signatureSchemeName).join(', ')} (RFC 8446 §4.2.3).`,
        };
      case 45:
        return { label: 'psk_key_exchange_modes', explain: 'How a resumed session may set up keys (RFC 8446 §4.2.9).' };
      case 21:
        return { label: `padding, ${plural(data.length, 'byte')}`, explain: 'Zero bytes that make the hello a size some broken servers accept (RFC 7685).' };
      case 0xfe0d:
        return {
          label: 'encrypted_client_hello',
          explain:
            'Encrypted Client Hello: the real hello (with the real server name) encrypted to the server’s public key, or a decoy of the same shape when the client has no key (IANA ExtensionType 0xfe0d).',
        };
      default:
        if (isGrease(type))
          return {
            label: name,
            explain: 'A GREASE extension: a reserved value with no meaning, sent so servers keep ignoring unknown extensions as they must (RFC 8701).',
          };
        return {
          label: `${name}${data.length > 0 ? `, ${plural(data.length, 'byte')}` : ''}`,
          explain: extensionMeaning(type)
            ? `The ${name} extension: it ${extensionMeaning(type)}.`
            : `Extension type ${type}, which this dissector does not know; a peer ignores extensions it does not know (RFC 8446 §4.2).`,
        };
    }
  } catch {
    return { label: name, explain: `The ${name} extension.` };
  }
}

/** What both directions share: what the handshake said. */
class TlsState {
  readonly info: TlsHandshakeInfo = {};
}

/** Records in one direction. */
class TlsRecordReader implements DirectionParser {
  #sink: SegmentSink;
  #state: TlsState;
  #buf = new ElementBuffer();
  #want = 5;
  #phase: 'header' | 'payload' = 'header';
  #type = 0;
  #length = 0;
  #recordNo = 0;
  #encrypted = false;
  #broken = false;
  /** Handshake bytes gathered across records (a message may span several), and the record each piece came in. */
  #hs: Piece[] = [];
  #hsLength = 0;
  #hsRecords: { offset: number; end: number; record: number }[] = [];

  constructor(sink: SegmentSink, state: TlsState) {
    this.#sink = sink;
    this.#state = state;
  }

  feed(p: Piece): void {
    let pos = 0;
    while (pos < p.bytes.length) {
      if (this.#broken) {
        this.#sink.emit([{ offset: p.offset + pos, length: p.bytes.length - pos, t: p.t, event: p.event }], {
          layer: 'tls',
          kind: 'opaque',
          label: `${plural(p.bytes.length - pos, 'byte')} not dissected`,
          explain: 'Bytes after something that is not a TLS record: not dissected.',
        });
        return;
      }
      const n = Math.min(this.#want - this.#buf.length, p.bytes.length - pos);
      this.#buf.add(subPiece(p, pos, pos + n));
      pos += n;
      if (this.#buf.length < this.#want) return;
      const { bytes, spans } = this.#buf.take();
      if (this.#phase === 'header') this.#header(bytes, spans);
      else this.#payload(bytes, spans);
    }
  }

  heldFrom(): number | undefined {
    const a = this.#hs[0]?.offset;
    const b = this.#buf.start;
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  end(): void {
    const held = this.#hs.map((p): Span => ({ offset: p.offset, length: p.bytes.length, t: p.t, event: p.event }));
    this.#hs = [];
    this.#hsLength = 0;
    if (held.length > 0) {
      this.#emit(held, {
        kind: 'incomplete',
        label: 'incomplete handshake message',
        explain: 'Part of a handshake message: the connection ended, or the recording stops, before the rest of it arrived.',
      });
    }
    const { bytes, spans } = this.#buf.take();
    if (spans.length === 0) return;
    const what = this.#phase === 'header' ? 'record header' : `record ${this.#recordNo}`;
    const size = this.#phase === 'header' ? 5 : this.#length;
    this.#emit(spans, {
      kind: 'incomplete',
      label: `incomplete ${what}`,
      explain: `${plural(bytes.length, 'byte')} of a ${what} of ${plural(size, 'byte')}: the connection ended, or the recording stops, before the rest arrived (RFC 8446 §5.1).`,
    });
  }

  #emit(spans: readonly Span[], info: Omit<LeafInfo, 'layer'>, extra?: PieceExtra): void {
    this.#sink.emit(spans, { layer: 'tls', record: this.#recordNo, ...info }, extra);
  }

  #header(bytes: Uint8Array, spans: Span[]): void {
    const type = bytes[0] ?? 0;
    const version = u16(bytes, 1);
    const length = u16(bytes, 3);
    const name = contentTypes[type];
    if (!name || bytes[1] !== 3) {
      this.#broken = true;
      this.#emit(spans, {
        kind: 'error',
        label: 'not a TLS record',
        explain: `A TLS record starts with a content type 20–24 and a version 3.x; these bytes (${hex(bytes)}) do not, so this is not TLS, and the rest is not dissected (RFC 8446 §5.1).`,
      });
      return;
    }
    this.#recordNo++;
    this.#type = type;
    this.#length = length;
    const hidden = this.#encrypted || type === 23;
    this.#emit(sliceSpans(spans, 0, 1), {
      recordHeader: true,
      kind: 'tls-content-type',
      label: `record ${this.#recordNo}: ${name}`,
      explain: hidden
        ? `Content type ${type} (${name}). Once encryption starts, TLS 1.3 writes application_data on every record and hides the real type inside the encrypted payload (RFC 8446 §5.1, §5.2).`
        : `Content type ${type}: this record carries ${name} bytes; a record is TLS's unit of framing, at most 16 KiB of content (RFC 8446 §5.1).`,
    });
    this.#emit(sliceSpans(spans, 1, 3), {
      recordHeader: true,
      kind: 'tls-version',
      label: `legacy version ${versionName(version)}`,
      explain:
        'legacy_record_version: fixed at 3,3 (TLS 1.2), or 3,1 on a first ClientHello, whatever version is really used; it is ignored, kept for old middleboxes (RFC 8446 §5.1).',
    });
    const tooLong = length > MAX_RECORD ? ' — more than any record may carry (record_overflow)' : '';
    this.#emit(sliceSpans(spans, 3, 5), {
      recordHeader: true,
      kind: 'tls-length',
      label: `record length ${plural(length, 'byte')}`,
      explain: `How many bytes of payload follow this 5-byte header${tooLong} (RFC 8446 §5.1, §5.2).`,
    });
    this.#phase = 'payload';
    this.#want = length;
    if (length === 0) this.#payload(new Uint8Array(0), []);
  }

  #payload(bytes: Uint8Array, spans: Span[]): void {
    this.#phase = 'header';
    this.#want = 5;
    if (bytes.length === 0) return;
    const type = this.#type;
    if (type === 23 || (this.#encrypted && type !== 20)) {
      return this.#emit(spans, {
        kind: 'tls-encrypted',
        label: `encrypted, ${plural(bytes.length, 'byte')}`,
        explain:
          type === 23
            ? 'Encrypted bytes: the content (handshake messages after the ServerHello, then HTTP/2 frames) and an authentication tag, unreadable without the session keys; only the record boundaries show (RFC 8446 §5.2).'
            : 'An encrypted record: after ChangeCipherSpec this side writes with the new keys, so even this handshake record is unreadable (RFC 5246 §7.1).',
      });
    }
    if (type === 20) {
      this.#encrypted = true;
      return this.#emit(spans, {
        kind: 'tls-change-cipher-spec',
        label: 'ChangeCipherSpec',
        explain:
          'One byte, 1. In TLS 1.2 it says “from now on I encrypt”; TLS 1.3 keeps it only so middleboxes think the session resumes as TLS 1.2 (RFC 8446 §5, Appendix D.4).',
      });
    }
    if (type === 21) {
      const level = bytes[0] === 2 ? 'fatal' : 'warning';
      return this.#emit(spans, {
        kind: bytes.length === 2 ? 'tls-alert' : 'error',
        label: `alert ${level}: ${alertName(bytes[1] ?? 0)}`,
        explain: 'An alert in clear, level and description: why this side is closing the connection or complaining (RFC 8446 §6).',
      });
    }
    if (type === 22) {
      let at = 0;
      for (const s of spans) {
        this.#hs.push({ bytes: bytes.subarray(at, at + s.length), offset: s.offset, t: s.t, event: s.event });
        at += s.length;
      }
      this.#hsLength += bytes.length;
      this.#hsRecords.push({ offset: spans[0]?.offset ?? 0, end: (spans.at(-1)?.offset ?? 0) + (spans.at(-1)?.length ?? 0), record: this.#recordNo });
      return this.#handshake();
    }
    this.#emit(spans, {
      kind: 'tls-encrypted',
      label: `${contentTypes[type] ?? 'record'}, ${plural(bytes.length, 'byte')}`,
      explain: 'A record not dissected further.',
    });
  }

  /** Parses every complete handshake message gathered so far. */
  #handshake(): void {
    for (;;) {
      if (this.#hsLength < 4) return;
      const all = concat(
        this.#hs.map((p) => p.bytes),
        this.#hsLength,
      );
      const size = 4 + u24(all, 1);
      if (this.#hsLength < size) return;
      const spans = this.#hs.map((p): Span => ({ offset: p.offset, length: p.bytes.length, t: p.t, event: p.event }));
      // Bytes after this message belong to the next one: keep them.
      const rest: Piece[] = [];
      let at = 0;
      for (const p of this.#hs) {
        const from = Math.max(size - at, 0);
        if (from < p.bytes.length) rest.push(subPiece(p, from));
        at += p.bytes.length;
      }
      this.#hs = rest;
      this.#hsLength -= size;
      this.#message(all.subarray(0, size), sliceSpans(spans, 0, size));
    }
  }

  #recordAt(offset: number): number | undefined {
    for (let i = this.#hsRecords.length - 1; i >= 0; i--) {
      const r = this.#hsRecords[i];
      if (r && r.offset <= offset && offset < r.end) return r.record;
    }
    return undefined;
  }

  /** One handshake message: type, length, and its body. */
  #message(bytes: Uint8Array, spans: Span[]): void {
    const emit = (start: number, end: number, info: Omit<LeafInfo, 'layer'>): void => {
      const pieces = sliceSpans(spans, start, end);
      const records = pieces.map((s) => this.#recordAt(s.offset));
      let i = 0;
      this.#emit(pieces, info, () => {
        const record = records[i++];
        return record !== undefined ? { record } : {};
      });
    };
    const w = new FieldWalker(bytes, 0, bytes.length, emit);
    const type = bytes[0] ?? 0;
    const name = handshakeTypes[type] ?? `handshake type ${type}`;
    try {
      w.take(1, () => ({
        kind: 'tls-handshake-type',
        label: name,
        explain:
          type === 1
            ? 'A ClientHello: the client’s opening message, with what it supports and its key shares (RFC 8446 §4.1.2).'
            : type === 2
              ? 'A ServerHello: the server’s choices from the ClientHello, and its key share (RFC 8446 §4.1.3).'
              : `A ${name} handshake message (RFC 8446 §4).`,
      }));
      w.length(3, name);
      if (type === 1) this.#clientHello(w);
      else if (type === 2) this.#serverHello(w);
      else {
        w.take(w.end - w.pos, (b) => ({
          kind: 'tls-handshake',
          label: `${name} body, ${plural(b.length, 'byte')}`,
          explain: `The body of a ${name} message, sent in clear (TLS 1.2 sends the certificate this way; TLS 1.3 encrypts it) (RFC 5246 §7.4).`,
        }));
      }
      if (w.pos !== w.end) throw new Malformed('bytes after the last field');
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      if (w.pos < bytes.length) {
        emit(w.pos, bytes.length, {
          kind: 'error',
          label: `malformed ${name}`,
          explain: `The ${name} does not parse: ${e.message}; a peer would answer with a decode_error alert (RFC 8446 §6.2).`,
        });
      }
    }
  }

  /** legacy_version, random, session id; returns legacy_version. */
  #helloStart(w: FieldWalker, who: 'client' | 'server'): number {
    const version = u16(
      w.take(2, (b) => ({
        kind: 'tls-version',
        label: `legacy version ${versionName(u16(b))}`,
        explain: 'legacy_version: stays at TLS 1.2 (3,3) even for TLS 1.3, which is negotiated in the supported_versions extension instead (RFC 8446 §4.1.2).',
      })),
    );
    w.take(32, (b) => {
      const hrr = who === 'server' && hex(b) === HRR_RANDOM;
      return {
        kind: 'tls-random',
        label: hrr ? 'random: HelloRetryRequest' : `random ${hex(b.subarray(0, 4))}…`,
        explain: hrr
          ? 'This special value makes the ServerHello a HelloRetryRequest: the server wants the client to try again with another key share (RFC 8446 §4.1.3).'
          : `32 random bytes from the ${who}, fresh for each connection, mixed into the keys so no two sessions share them (RFC 8446 §4.1.2).`,
        varying: true,
      };
    });
    const idLength = w.length(1, 'session id');
    w.take(idLength, () => ({
      kind: 'tls-session-id',
      label: `session id, ${plural(idLength, 'byte')}`,
      explain:
        who === 'client'
          ? 'legacy_session_id: in TLS 1.3 a random value that makes the handshake look like a TLS 1.2 resumption to middleboxes (RFC 8446 §4.1.2, Appendix D.4).'
          : 'legacy_session_id_echo: the client’s session id, echoed back (RFC 8446 §4.1.3).',
      varying: true,
    }));
    return version;
  }

  #suite(w: FieldWalker, chosen: boolean): void {
    w.take(2, (b) => {
      const n = u16(b);
      const name = cipherSuiteName(n);
      return {
        kind: 'tls-cipher-suite',
        label: chosen ? `cipher suite chosen: ${name}` : name,
        explain: isGrease(n)
          ? 'A GREASE value: a reserved cipher suite with no meaning, offered so servers keep ignoring unknown values (RFC 8701).'
          : chosen
            ? `The cipher suite the server chose from the client’s list: the encryption and hash used from now on (RFC 8446 §4.1.3, Appendix B.4).`
            : `A cipher suite the client supports: ${name} (RFC 8446 §4.1.2, Appendix B.4).`,
        text: name,
      };
    });
  }

  #extensions(w: FieldWalker, hello: 'client' | 'server'): void {
    if (w.pos === w.end) return;
    const total = w.length(2, 'extensions');
    w.within(total, () => {
      while (w.pos < w.end) {
        let type = 0;
        w.take(2, (b) => {
          type = u16(b);
          return {
            kind: 'tls-extension-type',
            label: `extension ${extensionName(type).replace(/^extension /, '')}`,
            explain: `Extension type ${type} (${extensionName(type)}): extensions carry most of what a modern hello says (RFC 8446 §4.2).`,
          };
        });
        const n = w.length(2, `${extensionName(type)}`);
        w.take(n, (b) => ({ kind: 'tls-extension', ...describeExtension(type, b, hello, this.#state.info) }));
      }
    });
  }

  #clientHello(w: FieldWalker): void {
    this.#helloStart(w, 'client');
    const suites = w.length(2, 'cipher suites');
    w.within(suites, () => {
      while (w.pos < w.end) this.#suite(w, false);
    });
    const methods = w.length(1, 'compression methods');
    w.take(methods, () => ({
      kind: 'tls-compression',
      label: 'compression: null',
      explain: 'legacy_compression_methods: always just “null”, since TLS compression leaked secrets (CRIME) and is gone (RFC 8446 §4.1.2).',
    }));
    this.#extensions(w, 'client');
  }

  #serverHello(w: FieldWalker): void {
    const legacy = this.#helloStart(w, 'server');
    let chosen = '';
    w.take(2, (b) => {
      chosen = cipherSuiteName(u16(b));
      return {
        kind: 'tls-cipher-suite',
        label: `cipher suite chosen: ${chosen}`,
        explain: 'The cipher suite the server chose from the client’s list: the encryption and hash used from now on (RFC 8446 §4.1.3, Appendix B.4).',
        text: chosen,
      };
    });
    this.#state.info.cipherSuite = chosen;
    w.take(1, () => ({ kind: 'tls-compression', label: 'compression: null', explain: 'legacy_compression_method: always 0 (RFC 8446 §4.1.3).' }));
    this.#state.info.version = versionName(legacy);
    this.#extensions(w, 'server');
  }
}

/**
 * Dissects one TLS connection's records incrementally: the same push/end shape as
 * `ConnectionDissector`. `handshake` collects what the hellos said in clear.
 */
export class TlsDissector extends WireConnection {
  #state = new TlsState();

  constructor() {
    super('TlsDissector');
    this.attach({ up: new TlsRecordReader(this.sinks.up, this.#state), down: new TlsRecordReader(this.sinks.down, this.#state) });
  }

  get handshake(): Readonly<TlsHandshakeInfo> {
    return this.#state.info;
  }
}

/** Everything about one TLS connection at once, e.g. from a recording or a fixture. */
export function dissectTls(events: Iterable<ByteEvent>): { segments: Segment[]; handshake: TlsHandshakeInfo; summary: WireSummary } {
  const d = new TlsDissector();
  for (const event of events) d.push(event);
  d.end();
  return { segments: [...d.segments], handshake: { ...d.handshake }, summary: d.summary };
}
