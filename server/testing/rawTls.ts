/**
 * Raw clients for the HTTPS port's fault tests: bytes on a bare TCP socket (what comes back is
 * TLS records, read as such), and HTTP/2 frames written by hand inside TLS (what comes back is
 * frames, read as such), so a test can send what no proper client would.
 */
import net from 'node:net';
import tls from 'node:tls';

/** The connection preface a client sends first (RFC 9113 §3.4). */
export const clientPreface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Frame types and error codes by RFC 9113's numbers (§6, §7). */
export const frameType = { data: 0, headers: 1, rstStream: 3, settings: 4, pushPromise: 5, ping: 6, goaway: 7, windowUpdate: 8, continuation: 9 } as const;
export const errorCode = {
  noError: 0,
  protocolError: 1,
  internalError: 2,
  flowControlError: 3,
  frameSizeError: 6,
  refusedStream: 7,
  compressionError: 9,
  enhanceYourCalm: 11,
} as const;

/** One frame's bytes; `length` other than the payload's makes a lying header. */
export function frame(type: number, flags: number, stream: number, payload: Buffer | readonly number[] = [], length?: number): Buffer {
  const body = Buffer.from(payload as Uint8Array);
  const head = Buffer.alloc(9);
  head.writeUIntBE(length ?? body.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, body]);
}

/** A HEADERS block for `GET path` (HPACK: `:method GET`, `:scheme https`, `:authority localhost`, `:path` as a literal). */
export function getHeaders(path: string): Buffer {
  const p = Buffer.from(path, 'latin1');
  if (p.length > 126) throw new Error('a short path, please');
  return Buffer.concat([Buffer.from([0x82, 0x87, 0x41, 0x09]), Buffer.from('localhost'), Buffer.from([0x44, p.length]), p]);
}

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** The whole frames in `bytes`. */
export function readFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i + 9 <= bytes.length;) {
    const length = bytes.readUIntBE(i, 3);
    if (i + 9 + length > bytes.length) break;
    frames.push({ type: bytes[i + 3]!, flags: bytes[i + 4]!, stream: bytes.readUInt32BE(i + 5) & 0x7fffffff, payload: bytes.subarray(i + 9, i + 9 + length) });
    i += 9 + length;
  }
  return frames;
}

/** The GOAWAY's last stream and error code, if one came. */
export function goawayOf(frames: readonly Frame[]): { lastStream: number; code: number; debug: string } | undefined {
  const goaway = frames.find((f) => f.type === frameType.goaway);
  if (!goaway) return undefined;
  return {
    lastStream: goaway.payload.readUInt32BE(0) & 0x7fffffff,
    code: goaway.payload.readUInt32BE(4),
    debug: goaway.payload.subarray(8).toString('latin1'),
  };
}

export interface H2Exchange {
  /** The ALPN protocol agreed, or the handshake's error code (an alert the server sent). */
  alpn: string | false | null;
  handshakeError?: string;
  frames: Frame[];
  /** Bytes of plaintext received. */
  received: number;
  /** True when the server closed the connection (not the test's timeout). */
  closedByServer: boolean;
}

export interface H2Options {
  port: number;
  ca: string;
  /** @default ['h2'] */
  alpn?: string[];
  /** Give up (and close) after this many ms. @default 3000 */
  timeoutMs?: number;
  /** Stop reading for this many ms after writing (a client that does not read its ACKs). @default 0 */
  pauseMs?: number;
}

/** Handshakes TLS, writes `bytes` as the plaintext, and reads frames until the server closes or the timeout. */
export function h2Exchange(bytes: Buffer, { port, ca, alpn = ['h2'], timeoutMs = 3000, pauseMs = 0 }: H2Options): Promise<H2Exchange> {
  return new Promise((resolve) => {
    let handshakeError: string | undefined;
    const socket = tls.connect({ port, host: '127.0.0.1', ca, ALPNProtocols: alpn, servername: 'localhost' }, () => {
      socket.write(bytes);
      if (pauseMs > 0) {
        socket.pause();
        setTimeout(() => socket.resume(), pauseMs);
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!socket.alpnProtocol && socket.alpnProtocol !== false) handshakeError = error.code;
      else handshakeError ??= error.code;
    });
    void readUntilClose(socket, timeoutMs).then(({ received: all, timedOut }) => {
      resolve({
        alpn: socket.alpnProtocol ?? null,
        ...(handshakeError ? { handshakeError } : {}),
        frames: readFrames(all),
        received: all.length,
        closedByServer: !timedOut,
      });
    });
  });
}

export interface RawExchange {
  /** What came back, as TLS records (content type, and the alert's level and description when one is). */
  records: { type: number; alert?: { level: number; description: number } }[];
  received: Buffer;
  closedByServer: boolean;
}

/** Writes `bytes` on a bare TCP socket to the TLS port and reads what comes back until it closes. */
export function rawExchange(port: number, bytes: Buffer, timeoutMs = 3000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('error', () => {});
    void readUntilClose(socket, timeoutMs).then(({ received, timedOut }) => {
      const records: RawExchange['records'] = [];
      for (let i = 0; i + 5 <= received.length; i += 5 + received.readUInt16BE(i + 3)) {
        const type = received[i]!;
        records.push(type === 0x15 && i + 7 <= received.length ? { type, alert: { level: received[i + 5]!, description: received[i + 6]! } } : { type });
      }
      resolve({ records, received, closedByServer: !timedOut });
    });
  });
}

/** Everything `socket` receives until it closes, or until `timeoutMs` (then the test closes it). */
function readUntilClose(socket: net.Socket, timeoutMs: number): Promise<{ received: Buffer; timedOut: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timedOut = false;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), timedOut });
    });
  });
}
