/**
 * The presenter token never shows unmasked in the tap, for any listener (the presenter's own page
 * included: its screen is projected), in any mode, on any connection: a `Cookie`, an
 * `Authorization: Bearer`, a `/present?token=` request line and the `Set-Cookie` it answers with,
 * a token cut across two TCP writes, a balanced lab instance's tap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../testing/listen.ts';
import { Presenter, presenterCookie } from './presenter.ts';
import { ExactBytesFinder } from '../wiretap/exactBytesFinder.ts';
import { until } from '../testing/until.ts';
import { startLabs, type Labs } from '../labs/labs.ts';
import http2 from 'node:http2';
import { listenHttps, type ListeningHttps } from '../testing/listenHttps.ts';
import { subscribeTap, subscribeTapFrom, type TapReader } from '../testing/tapReader.ts';
import { rawRequestFrom } from '../testing/rawHttp.ts';
import { decode } from '../testing/tapEvents.ts';
import { readFrames } from '../testing/rawTls.ts';
import { HpackDecoder } from '../../shared/hpack.ts';
import { huffmanCodes } from '../../shared/hpackHuffman.ts';
import tls from 'node:tls';
import { clientPreface, frame, frameType } from '../testing/rawTls.ts';
import type { TapOpen } from '../../shared/tap.ts';

const token = 'Projected-Presenter-Token_42';
const masked = '*'.repeat(token.length);
const student = '127.0.0.2';

/** Every byte a reader got, decoded, and how many reads there were. */
function seen(reader: TapReader): { text: string; reads: number } {
  let text = '';
  let reads = 0;
  for (const e of reader.events) {
    if (e.type !== 'read' && e.type !== 'write') continue;
    text += Buffer.from(e.data, 'base64').toString('latin1');
    if (e.type === 'read') reads++;
  }
  return { text, reads };
}

const sse = '/api/stream/sse?text=hi&tps=1000&ttft=0';
const heads = {
  cookie: `GET ${sse}&run=c1 HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${presenterCookie}=${token}; other=1\r\nConnection: close\r\n\r\n`,
  bearer: `GET /api/stream/http?text=hi&tps=1000&ttft=0&run=b1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
  present: `GET /present?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
};

describe('ExactBytesFinder', () => {
  const masks = (finder: ExactBytesFinder, chunks: string[]): string =>
    chunks
      .map((chunk) => {
        const bytes = Buffer.from(chunk, 'latin1');
        for (const [start, end] of finder.scan(bytes)) bytes.fill(0x2a, start, end);
        return bytes.toString('latin1');
      })
      .join('|');

  it('finds the secret in a chunk, many times, and split across two or more chunks', () => {
    expect(masks(new ExactBytesFinder('secret'), ['a secret, secretsecret'])).toBe('a ******, ************');
    expect(masks(new ExactBytesFinder('secret'), ['x=secr', 'et; y'])).toBe('x=****|**; y');
    expect(masks(new ExactBytesFinder('secret'), ['x=s', 'e', 'c', 'r', 'e', 't!'])).toBe('x=s|e|c|*|*|*!');
  });

  it('leaves a chunk end shorter than minPrefix, and masks a longer one even if the next chunk does not complete it', () => {
    expect(masks(new ExactBytesFinder('secret'), ['x=sec', 'ret'])).toBe('x=sec|***');
    expect(masks(new ExactBytesFinder('secret'), ['x=secr', 'ab'])).toBe('x=****|ab');
    expect(masks(new ExactBytesFinder('secret'), ['sesecre', 't'])).toBe('se*****|*');
  });
});

describe('the presenter token in the tap', () => {
  let classroom: Listening;
  let loopback: Listening;
  beforeAll(async () => {
    [classroom, loopback] = await Promise.all([
      listen({ classroom: true, presenter: new Presenter(token), heartbeatMs: 60_000 }),
      listen({ presenter: new Presenter(token), heartbeatMs: 60_000 }),
    ]);
  });
  afterAll(() => Promise.all([classroom.close(), loopback.close()]));

  for (const mode of ['classroom', 'loopback'] as const) {
    it(`is masked byte for byte for the presenter and for a plain listener (${mode} mode)`, async () => {
      const server = mode === 'classroom' ? classroom : loopback;
      // In classroom mode a plain listener sees only its own connections: send from its address.
      const from = mode === 'classroom' ? student : '127.0.0.1';
      const readers = await Promise.all([
        subscribeTapFrom(server.port, '127.0.0.1', { cookie: `${presenterCookie}=${token}` }),
        subscribeTapFrom(server.port, '127.0.0.1', { authorization: `Bearer ${token}` }),
        subscribeTapFrom(server.port, from),
      ]);
      const answers = await Promise.all([
        rawRequestFrom(server.port, from, [heads.cookie]),
        rawRequestFrom(server.port, from, [heads.bearer]),
        rawRequestFrom(server.port, from, [heads.present]),
      ]);
      expect(answers[0]).toContain('event: done');
      // On the wire nothing is masked: the browser gets its cookie.
      expect(answers[2]).toContain(`Set-Cookie: ${presenterCookie}=${token};`);
      for (const reader of readers) {
        await until(() => reader.events.filter((e) => e.type === 'close').length === 3, 'the three connections to close');
        reader.stop();
      }
      const [byCookie, byBearer, plain] = readers.map(seen);
      for (const { text } of [byCookie!, byBearer!]) {
        expect(text).not.toContain(token);
        expect(text).toContain(`Cookie: ${presenterCookie}=${masked}; other=1\r\n`);
        expect(text).toContain(`Authorization: Bearer ${masked}\r\n`);
        expect(text).toContain(`GET /present?token=${masked} HTTP/1.1\r\n`);
        expect(text).toContain(`Set-Cookie: ${presenterCookie}=${masked};`);
      }
      expect(plain!.text).not.toContain(token);
      expect(plain!.text).toContain(`GET /present?token=${masked} HTTP/1.1\r\n`);
      // Classroom mode masks the whole credential fields for a student anyway; loopback mode only the token.
      if (mode === 'loopback') expect(plain!.text).toContain(`Cookie: ${presenterCookie}=${masked}; other=1\r\n`);
    });
  }

  it('is masked when a TCP write cuts it in two (both halves)', async () => {
    const reader = await subscribeTapFrom(loopback.port, '127.0.0.1', { cookie: `${presenterCookie}=${token}` });
    const cut = heads.cookie.indexOf(token) + 10;
    const answer = await rawRequestFrom(loopback.port, '127.0.0.1', [heads.cookie.slice(0, cut), heads.cookie.slice(cut)]);
    expect(answer).toContain('event: done');
    await until(() => reader.events.some((e) => e.type === 'close'), 'the connection to close');
    reader.stop();
    const { text, reads } = seen(reader);
    expect(reads).toBeGreaterThan(1);
    expect(text).not.toContain(token.slice(0, 10));
    expect(text).not.toContain(token.slice(10));
    expect(text).toContain(`Cookie: ${presenterCookie}=${masked}; other=1\r\n`);
  });
});

describe("the presenter token in a balanced lab instance's tap", () => {
  let labs: Labs;
  beforeAll(async () => {
    labs = await startLabs({ presenter: new Presenter(token) });
  });
  afterAll(() => labs.close());

  it('is masked there too: the presenter cookie reaches every port of the host', async () => {
    const { port } = labs.lb.state().instances[0]!;
    const reader = await subscribeTapFrom(port, '127.0.0.1');
    const answer = await rawRequestFrom(port, '127.0.0.1', [heads.cookie]);
    expect(answer).toContain('event: done');
    await until(() => reader.events.some((e) => e.type === 'close'), 'the connection to close');
    reader.stop();
    const { text } = seen(reader);
    expect(text).not.toContain(token);
    expect(text).toContain(`Cookie: ${presenterCookie}=${masked}; other=1\r\n`);
  });
});

describe('the presenter token over HTTP/2 (TLS)', () => {
  let server: ListeningHttps;
  beforeAll(async () => {
    server = await listenHttps({ presenter: new Presenter(token), heartbeatMs: 60_000 });
  });
  afterAll(() => server.close());

  /** One request on `session`; resolves with the response's headers once it ends. */
  const get = (session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders): Promise<http2.IncomingHttpHeaders> =>
    new Promise((resolve, reject) => {
      const req = session.request(headers);
      let response: http2.IncomingHttpHeaders = {};
      req.on('response', (h) => (response = h));
      req.on('data', () => {});
      req.on('end', () => resolve(response));
      req.on('error', reject);
    });

  /** Decodes the header blocks of one direction's tapped bytes as the page does, up to the first it cannot decode. */
  function decodedFields(bytes: Buffer): { fields: string[]; maskedBlocks: number } {
    const decoder = new HpackDecoder();
    decoder.limit = 2 ** 30;
    const fields: string[] = [];
    let maskedBlocks = 0;
    let failed = false;
    for (const frame of readFrames(bytes)) {
      if (frame.type !== 1) continue;
      if (frame.payload.length > 0 && frame.payload.every((b) => b === 0x2a)) maskedBlocks++;
      if (failed) continue;
      const { fields: found, error } = decoder.decodeBlock(frame.payload);
      fields.push(...found.map((f) => `${f.name}: ${f.value}`));
      if (error) failed = true;
    }
    return { fields, maskedBlocks };
  }

  /** `text` Huffman-coded as an HPACK string literal (RFC 7541 §5.2; lengths under 127). */
  function huffmanString(text: string): Buffer {
    let bits = 0n;
    let count = 0;
    for (const byte of Buffer.from(text)) {
      const { code, bits: n } = huffmanCodes[byte]!;
      bits = (bits << BigInt(n)) | BigInt(code);
      count += n;
    }
    const pad = (8 - (count % 8)) % 8;
    bits = (bits << BigInt(pad)) | ((1n << BigInt(pad)) - 1n);
    const length = (count + pad) / 8;
    const out = Buffer.alloc(length);
    for (let i = length - 1; i >= 0; i--) {
      out[i] = Number(bits & 0xffn);
      bits >>= 8n;
    }
    return Buffer.concat([Buffer.from([0x80 | length]), out]);
  }

  it('masks a header block cut across two TLS records whole: the first part waits for the rest', async () => {
    const tap = await subscribeTap(server.url);
    const path = Buffer.from(`${sse}&run=h2split`);
    // :method GET, :scheme https, :path and :authority literals, then cookie (static name 32) Huffman-coded.
    const block = Buffer.concat([
      Buffer.from([0x82, 0x87, 0x04, path.length]),
      path,
      Buffer.from([0x01, 9]),
      Buffer.from('localhost'),
      Buffer.from([0x0f, 0x11]),
      huffmanString(`${presenterCookie}=${token}`),
    ]);
    const cut = block.length - 8;
    const END_STREAM = 0x1;
    const END_HEADERS = 0x4;
    const socket = tls.connect({ port: server.httpsPort, host: '127.0.0.1', ca: server.ca, ALPNProtocols: ['h2'], servername: 'localhost' });
    socket.on('data', () => {});
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    socket.write(Buffer.concat([clientPreface, frame(frameType.settings, 0, 0), frame(frameType.headers, END_STREAM, 1, block.subarray(0, cut))]));
    await new Promise((r) => setTimeout(r, 50));
    socket.write(frame(frameType.continuation, END_HEADERS, 1, block.subarray(cut)));
    await until(() => tap.events.some((e) => e.type === 'request' && e.path.includes('h2split')), 'the request to be served');
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await until(() => new Set(tap.events.filter((e) => e.type === 'close').map((e) => e.conn)).size === 2, 'both layers closing');
    tap.stop();
    const plain = tap.events.find((e): e is TapOpen => e.type === 'open' && !e.layer && e.protocol === 'h2')!;
    const reads = tap.events.flatMap((e) => (e.type === 'read' && e.conn === plain.conn ? [decode(e.data)] : []));
    expect(reads.length).toBeGreaterThan(1);
    const headerFrames = readFrames(Buffer.concat(reads).subarray(24)).filter((f) => f.type === frameType.headers || f.type === frameType.continuation);
    expect(headerFrames.map((f) => f.payload.length)).toEqual([cut, block.length - cut]);
    for (const f of headerFrames) expect(f.payload.every((b) => b === 0x2a)).toBe(true);
  });

  it('masks whole the HPACK-coded header blocks that carry it, both ways; the others stay readable', async () => {
    const tap = await subscribeTap(server.url);
    const session = http2.connect(server.httpsUrl, { ca: server.ca });
    let setCookie: string[] = [];
    try {
      await get(session, { ':path': `${sse}&run=h2plain` });
      // Twice: the second time the cookie is an index into the dynamic table.
      await get(session, { ':path': `${sse}&run=h2cookie`, cookie: `${presenterCookie}=${token}` });
      await get(session, { ':path': `${sse}&run=h2again`, cookie: `${presenterCookie}=${token}` });
      const present = await get(session, { ':path': `/present?token=${token}` });
      setCookie = present['set-cookie'] ?? [];
    } finally {
      session.close();
    }
    // On the wire nothing is masked.
    expect(setCookie.join()).toContain(token);
    await until(() => new Set(tap.events.filter((e) => e.type === 'close').map((e) => e.conn)).size === 2, 'both layers closing');
    tap.stop();
    const plain = tap.events.find((e): e is TapOpen => e.type === 'open' && !e.layer && e.protocol === 'h2')!;
    const bytesOf = (type: 'read' | 'write'): Buffer =>
      Buffer.concat(tap.events.flatMap((e) => (e.type === type && e.conn === plain.conn ? [decode(e.data)] : [])));
    const reads = bytesOf('read');
    const writes = bytesOf('write');
    expect(reads.includes(token)).toBe(false);
    expect(writes.includes(token)).toBe(false);
    const requests = decodedFields(reads.subarray(24));
    // The first request's block is readable; the cookie's and the /present one's are masked whole.
    expect(requests.fields.join('\n')).not.toContain(token);
    expect(requests.fields.some((f) => f.includes('run=h2plain'))).toBe(true);
    expect(requests.maskedBlocks).toBeGreaterThanOrEqual(2);
    const responses = decodedFields(writes);
    expect(responses.fields.join('\n')).not.toContain(token);
    expect(responses.fields.some((f) => f.startsWith(':status: 200'))).toBe(true);
    expect(responses.maskedBlocks).toBeGreaterThanOrEqual(1);
  });
});
