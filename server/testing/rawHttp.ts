import { once } from 'node:events';
import net from 'node:net';

/** One `'data'` event of the client socket: the bytes the kernel handed over together. */
export interface RawRead {
  /** ms since the request was sent. */
  t: number;
  bytes: Buffer;
}

export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated fields joined with `, `. */
  headers: Record<string, string>;
  /** Everything read after the head, in the pieces it arrived in (a read may hold the end of the head too: only its body part is kept). */
  reads: RawRead[];
  /** The whole body as sent (chunked framing still in place when the response is chunked). */
  body: Buffer;
  /** How the socket ended: `'end'` (the server closed cleanly) or `'timeout'`. */
  ended: 'end' | 'timeout';
}

/**
 * Sends a GET over a fresh socket with `Connection: close` and records every read until the
 * server closes it: tests over real sockets that must see framing and timing fetch hides.
 */
export function rawGet(url: string, headers: Record<string, string> = {}, timeoutMs = 8000): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname);
    const started = performance.now();
    const chunks: RawRead[] = [];
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const finish = (ended: 'end' | 'timeout'): void => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(parse(chunks, ended));
      } catch (error) {
        reject(error);
      }
    };
    socket.on('connect', () => {
      const lines = [`GET ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, 'Connection: close'];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.on('data', (bytes: Buffer) => chunks.push({ t: performance.now() - started, bytes }));
    socket.on('end', () => finish('end'));
    socket.on('error', (error) => (chunks.length > 0 ? finish('end') : reject(error)));
  });
}

function parse(chunks: RawRead[], ended: 'end' | 'timeout'): RawResponse {
  const all = Buffer.concat(chunks.map((c) => c.bytes));
  const headEnd = all.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`no response head in ${JSON.stringify(all.toString('latin1').slice(0, 200))}`);
  const [statusLine = '', ...fields] = all.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(':');
    const name = field.slice(0, colon).trim().toLowerCase();
    const value = field.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const reads: RawRead[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    const start = Math.max(0, headEnd + 4 - offset);
    if (start < chunk.bytes.length) reads.push({ t: chunk.t, bytes: chunk.bytes.subarray(start) });
    offset += chunk.bytes.length;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, reads, body: all.subarray(headEnd + 4), ended };
}

/**
 * The payload of a chunked body, from as much of it as has arrived: a partial chunk yields the
 * bytes it has. `complete` says whether the terminating zero-size chunk was seen.
 */
export function dechunk(body: Buffer): { payload: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return { payload: Buffer.concat(parts), complete: true };
    parts.push(body.subarray(lineEnd + 2, Math.min(lineEnd + 2 + size, body.length)));
    at = lineEnd + 2 + size + 2;
  }
  return { payload: Buffer.concat(parts), complete: false };
}

/** The body payload received by the end of each read, for tests that ask "what could the page see by then?". */
export function payloadAfterEachRead(response: RawResponse): Buffer[] {
  const chunked = response.headers['transfer-encoding'] === 'chunked';
  const seen: Buffer[] = [];
  return response.reads.map((read) => {
    seen.push(read.bytes);
    const body = Buffer.concat(seen);
    return chunked ? dechunk(body).payload : body;
  });
}

/**
 * Sends `request` on a fresh TCP connection to `port`, reads until `complete(received)` holds,
 * then ends the connection and waits for it to close. Returns the exact bytes received.
 */
export async function exchangeBytes(port: number, request: string, complete: (received: Buffer) => boolean): Promise<{ received: Buffer; localPort: number }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (complete(Buffer.concat(chunks))) resolve();
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`the server closed the connection after ${Buffer.concat(chunks).length} bytes`)));
  });
  socket.write(request);
  await done;
  const localPort = socket.localPort!;
  socket.end();
  await once(socket, 'close');
  return { received: Buffer.concat(chunks), localPort };
}

/** The last chunk of a chunked body has arrived. */
export const chunkedComplete = (received: Buffer): boolean => received.subarray(-7).toString('latin1') === '\r\n0\r\n\r\n';

/** As many body bytes as the head's `Content-Length` have arrived. */
export function contentLengthComplete(received: Buffer): boolean {
  const end = received.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\nContent-Length: (\d+)\r\n/i.exec(received.subarray(0, end + 2).toString('latin1'));
  return length !== null && received.length - end - 4 >= Number(length[1]);
}

/**
 * A request over a raw socket from `localAddress`, written in `pieces` with `pauseMs` between
 * them (a head split across reads); resolves with everything the server answered, as latin1.
 */
export function rawRequestFrom(port: number, localAddress: string, pieces: readonly string[], pauseMs = 30): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress, noDelay: true }, async () => {
      for (const piece of pieces) {
        socket.write(piece);
        if (pieces.length > 1) await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => (answer += text));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
