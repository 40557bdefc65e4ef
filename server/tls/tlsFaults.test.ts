/**
 * Bad input on the HTTPS port, over real sockets (the TLS sibling of `hardening/fuzz.test.ts`):
 * bytes that are not TLS, broken records, a handshake offering only an unknown protocol, a bad
 * HTTP/2 connection preface, oversized and malformed frames, floods of streams, SETTINGS, PING
 * and resets. The server answers as the specs say (a TLS alert, RFC 8446 §6 and RFC 7301 §3.2; a
 * GOAWAY with the error code RFC 9113 §5.4.1 names; RST_STREAM REFUSED_STREAM for a stream over
 * the limit, §5.1.2), nothing crashes, a stream on another connection runs on meanwhile, and the
 * next client is served. Slow HTTP/1.1 requests on the port get the plain port's 408.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import fc from 'fast-check';
import { listenHttps, type ListeningHttps } from '../testing/listenHttps.ts';
import { clientPreface, errorCode, frame, frameType, getHeaders, goawayOf, h2Exchange, rawExchange, type H2Exchange } from '../testing/rawTls.ts';
import { until } from '../testing/until.ts';
import { maxConcurrentStreams } from './httpsServer.ts';

let server: ListeningHttps;
const crashes: unknown[] = [];
const crashed = (error: unknown): void => void crashes.push(error);
const tcpSockets = new Set<Socket>();
/** A stream on a good connection, open while every fault happens. */
let bystander: { session: http2.ClientHttp2Session; body: Promise<string>; closing: boolean };

beforeAll(async () => {
  process.on('uncaughtException', crashed);
  process.on('unhandledRejection', crashed);
  server = await listenHttps({ maxStreamsPerClient: 10_000, heartbeatMs: 60_000 }, { headersTimeoutMs: 400, requestTimeoutMs: 800, checkIntervalMs: 100 });
  server.https.server.on('connection', (socket: Socket) => {
    tcpSockets.add(socket);
    socket.once('close', () => tcpSockets.delete(socket));
  });
  const session = http2.connect(server.httpsUrl, { ca: server.ca });
  // About 20 s of tokens (59 at 3 a second): it runs through most of the file.
  const req = session.request({ ':path': '/api/stream/sse?prompt=what-is-sse&tps=3&ttft=0&jitter=0' });
  req.setEncoding('utf8');
  let body = '';
  req.on('data', (d: string) => (body += d));
  bystander = { session, body: new Promise((resolve) => req.on('close', () => resolve(body))), closing: false };
  await new Promise((resolve) => req.once('data', resolve));
});
afterEach(async () => {
  expect(crashes).toEqual([]);
  await expectServing();
});
afterAll(async () => {
  bystander.session.destroy();
  await server.close();
  process.off('uncaughtException', crashed);
  process.off('unhandledRejection', crashed);
});

const options = (more: Partial<Parameters<typeof h2Exchange>[1]> = {}) => ({ port: server.httpsPort, ca: server.ca, ...more });
const settings = frame(frameType.settings, 0, 0);
/** The preface, an empty SETTINGS, then `frames`. */
const h2 = (...frames: Buffer[]): Buffer => Buffer.concat([clientPreface, settings, ...frames]);

/** A new HTTP/2 connection gets its answer, and the bystander's stream is still running. */
async function expectServing(): Promise<void> {
  const session = http2.connect(server.httpsUrl, { ca: server.ca });
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/api/stream/http?text=still%20here&tps=1000&ttft=0' });
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (text += d));
      req.on('end', () => resolve(text));
      req.on('error', reject);
    });
    expect(JSON.parse(body)).toMatchObject({ text: 'still here' });
  } finally {
    session.close();
  }
  if (!bystander.closing) expect(bystander.session.destroyed).toBe(false);
}

function expectGoaway(exchange: H2Exchange, code: number): void {
  expect(goawayOf(exchange.frames), JSON.stringify({ types: exchange.frames.map((f) => f.type) })).toMatchObject({ code });
  expect(exchange.closedByServer).toBe(true);
}

describe('TLS layer', () => {
  it('answers a plain HTTP request with a 400 naming the https:// URL, as nginx does', async () => {
    const answer = await rawExchange(server.httpsPort, Buffer.from('GET /api/prompts?x=1 HTTP/1.1\r\nHost: localhost:3443\r\n\r\n', 'latin1'));
    const text = answer.received.toString();
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('application/problem+json');
    expect(text).toContain(`Ask for https://localhost:3443/api/prompts?x=1, or plain HTTP on port ${server.port}.`);
    expect(answer.closedByServer).toBe(true);
  });

  it('closes on other bytes that are not TLS at all, without an alert (OpenSSL sends none to what does not look like TLS)', async () => {
    for (const bytes of ['GET / HTTP/9.9\r\n\r\n', 'hello\r\n\r\n', '\0\0\0\0\0\0\0\0']) {
      const answer = await rawExchange(server.httpsPort, Buffer.from(bytes, 'latin1'));
      expect(answer).toMatchObject({ closedByServer: true, received: Buffer.alloc(0) });
    }
  });

  it('answers a broken handshake record with a fatal alert, then closes', async () => {
    const answer = await rawExchange(server.httpsPort, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]));
    expect(answer.closedByServer).toBe(true);
    expect(answer.records).toEqual([{ type: 0x15, alert: { level: 2, description: expect.any(Number) as number } }]);
  });

  it(
    'answers random records with a fatal alert and a close, or waits for more (a record it may ignore), never anything else',
    { timeout: 30_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(0x14, 0x15, 0x16, 0x17), fc.uint8Array({ minLength: 0, maxLength: 300 }), async (type, body) => {
          const head = Buffer.from([type, 0x03, 0x01, body.length >> 8, body.length & 0xff]);
          const answer = await rawExchange(server.httpsPort, Buffer.concat([head, body]), 500);
          if (!answer.closedByServer) expect(answer.received.length).toBe(0);
          for (const record of answer.records) expect(record).toMatchObject({ type: 0x15, alert: { level: 2 } });
        }),
        { numRuns: 30 },
      );
    },
  );

  it('refuses a handshake offering only an unknown protocol with the no_application_protocol alert (RFC 7301 §3.2)', async () => {
    const answer = await h2Exchange(Buffer.alloc(0), options({ alpn: ['spdy/3', 'h3'] }));
    expect(answer.handshakeError).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    expect(answer.closedByServer).toBe(true);
  });

  it('closes a connection that never finishes its handshake, and one that goes away half-way', async () => {
    // The first bytes of a ClientHello, then nothing: the handshake timeout is 10 s, so only the client's leaving is waited for here.
    const answer = await rawExchange(server.httpsPort, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01]), 300);
    expect(answer.closedByServer).toBe(false);
    await until(
      () => tcpSockets.size <= 1,
      () => ({ open: tcpSockets.size }),
      3000,
    );
  });
});

describe('HTTP/2 connection errors (RFC 9113 §5.4.1): a GOAWAY with the code the spec names', () => {
  it('a bad connection preface → PROTOCOL_ERROR (§3.4)', async () => {
    expectGoaway(await h2Exchange(Buffer.from('PRI * HTTP/1.1\r\n\r\nXX\r\n\r\n'), options()), errorCode.protocolError);
    expectGoaway(await h2Exchange(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), options()), errorCode.protocolError);
  });

  it('a frame over SETTINGS_MAX_FRAME_SIZE → FRAME_SIZE_ERROR (§4.2)', async () => {
    expectGoaway(await h2Exchange(h2(frame(frameType.data, 0, 1, Buffer.alloc(20_000))), options()), errorCode.frameSizeError);
    // A header that only claims it: 16 MiB less a byte.
    expectGoaway(await h2Exchange(h2(frame(frameType.headers, 4, 1, [0x82], 0xffffff)), options()), errorCode.frameSizeError);
  });

  it.each<[string, Buffer, number]>([
    ['SETTINGS of 5 bytes (§6.5)', frame(frameType.settings, 0, 0, Buffer.alloc(5)), errorCode.frameSizeError],
    ['a SETTINGS ACK with a payload (§6.5)', frame(frameType.settings, 1, 0, Buffer.alloc(6)), errorCode.frameSizeError],
    ['SETTINGS on a stream (§6.5)', frame(frameType.settings, 0, 1), errorCode.protocolError],
    ['SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1 (§6.5.2)', frame(frameType.settings, 0, 0, [0, 4, 0x80, 0, 0, 0]), errorCode.flowControlError],
    ['SETTINGS_ENABLE_PUSH of 2 (§6.5.2)', frame(frameType.settings, 0, 0, [0, 2, 0, 0, 0, 2]), errorCode.protocolError],
    ['PING of 7 bytes (§6.7)', frame(frameType.ping, 0, 0, Buffer.alloc(7)), errorCode.frameSizeError],
    ['PING on a stream (§6.7)', frame(frameType.ping, 0, 1, Buffer.alloc(8)), errorCode.protocolError],
    ['HEADERS on stream 0 (§6.2)', frame(frameType.headers, 4, 0, [0x82]), errorCode.protocolError],
    ['DATA on stream 0 (§6.1)', frame(frameType.data, 0, 0, Buffer.alloc(4)), errorCode.protocolError],
    ['a WINDOW_UPDATE of 0 on the connection (§6.9)', frame(frameType.windowUpdate, 0, 0, Buffer.alloc(4)), errorCode.protocolError],
    ['a GOAWAY on a stream (§6.8)', frame(frameType.goaway, 0, 1, Buffer.alloc(8)), errorCode.protocolError],
    ['PUSH_PROMISE from a client (§8.4)', frame(frameType.pushPromise, 4, 1, [0, 0, 0, 2, 0x82]), errorCode.protocolError],
    ['CONTINUATION with no HEADERS before it (§6.10)', frame(frameType.continuation, 4, 1, [0x82]), errorCode.protocolError],
    ['a header block HPACK cannot decode (§4.3)', frame(frameType.headers, 5, 1, [0xff, 0xff, 0xff, 0xff]), errorCode.compressionError],
    ['an even stream id from a client (§5.1.1)', frame(frameType.headers, 5, 2, getHeaders('/api/prompts')), errorCode.protocolError],
  ])('%s', async (_, bad, code) => {
    expectGoaway(await h2Exchange(h2(bad), options()), code);
  });

  it('random frames after the preface: a GOAWAY naming the client’s error and a close, or an answer, never a crash', { timeout: 30_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            type: fc.integer({ min: 0, max: 12 }),
            flags: fc.integer({ min: 0, max: 255 }),
            stream: fc.integer({ min: 0, max: 9 }),
            payload: fc.uint8Array({ maxLength: 40 }),
          }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        async (frames) => {
          const answer = await h2Exchange(h2(...frames.map((f) => frame(f.type, f.flags, f.stream, Buffer.from(f.payload)))), options({ timeoutMs: 500 }));
          const goaway = goawayOf(answer.frames);
          if (goaway) expect(goaway.code, goaway.debug).not.toBe(errorCode.internalError);
          if (goaway && goaway.code !== errorCode.noError) expect(answer.closedByServer).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('floods', () => {
  it(`advertises SETTINGS_MAX_CONCURRENT_STREAMS ${maxConcurrentStreams} and refuses the streams over it (RST_STREAM REFUSED_STREAM, §5.1.2), serving the rest`, async () => {
    const streamsBefore = server.limiter.open;
    const count = maxConcurrentStreams + 50;
    const streams = Array.from({ length: count }, (_, i) => frame(frameType.headers, 5, 2 * i + 1, getHeaders('/api/stream/sse?text=hi&tps=1&ttft=2000')));
    const answer = await h2Exchange(h2(...streams), options({ timeoutMs: 1000 }));
    const serverSettings = answer.frames.find((f) => f.type === frameType.settings && f.flags === 0)!;
    const advertised = new Map<number, number>();
    for (let i = 0; i + 6 <= serverSettings.payload.length; i += 6)
      advertised.set(serverSettings.payload.readUInt16BE(i), serverSettings.payload.readUInt32BE(i + 2));
    expect(advertised.get(3)).toBe(maxConcurrentStreams);
    const refused = answer.frames.filter((f) => f.type === frameType.rstStream && f.payload.readUInt32BE(0) === errorCode.refusedStream);
    expect(refused.length).toBe(count - maxConcurrentStreams);
    const answered = new Set(answer.frames.filter((f) => f.type === frameType.headers).map((f) => f.stream));
    expect(answered.size).toBe(maxConcurrentStreams);
    await until(
      () => server.limiter.open <= streamsBefore,
      () => ({ open: server.limiter.open, before: streamsBefore }),
      3000,
    );
  });

  it(
    'ends a connection that keeps opening streams over the limit (Node’s invalid-frame limit) with ENHANCE_YOUR_CALM or a close',
    { timeout: 10_000 },
    async () => {
      const streams = Array.from({ length: 2000 }, (_, i) => frame(frameType.headers, 5, 2 * i + 1, getHeaders('/api/prompts')));
      const answer = await h2Exchange(h2(...streams), options({ timeoutMs: 5000 }));
      expect(answer.closedByServer).toBe(true);
      const goaway = goawayOf(answer.frames);
      if (goaway) expect(goaway.code).toBe(errorCode.enhanceYourCalm);
    },
  );

  it('ends a SETTINGS flood with GOAWAY ENHANCE_YOUR_CALM (§10.5)', { timeout: 10_000 }, async () => {
    const flood = Array.from({ length: 20_000 }, () => frame(frameType.settings, 0, 0, [0, 3, 0, 0, 0, 100]));
    expectGoaway(await h2Exchange(h2(...flood), options({ timeoutMs: 5000 })), errorCode.enhanceYourCalm);
  });

  it('answers a PING flood from a client that does not read at the pace it reads: every PING ACKed, or ENHANCE_YOUR_CALM', { timeout: 10_000 }, async () => {
    const count = 50_000;
    const flood = Array.from({ length: count }, () => frame(frameType.ping, 0, 0, Buffer.alloc(8)));
    // (The server writes the ACKs as they are taken: a client that stops reading stops it reading
    // too, once the socket buffers are full, so its memory stays bounded.)
    const answer = await h2Exchange(h2(...flood), options({ pauseMs: 600, timeoutMs: 3000 }));
    const acks = answer.frames.filter((f) => f.type === frameType.ping && f.flags === 1).length;
    const goaway = goawayOf(answer.frames);
    if (goaway) expect(goaway.code).toBe(errorCode.enhanceYourCalm);
    else expect(acks).toBe(count);
  });

  it('ends a rapid-reset flood (CVE-2023-44487: HEADERS then RST_STREAM, again and again) with a GOAWAY', { timeout: 10_000 }, async () => {
    const streamsBefore = server.limiter.open;
    const flood = Array.from({ length: 2000 }, (_, i) =>
      Buffer.concat([
        frame(frameType.headers, 4, 2 * i + 1, getHeaders('/api/stream/sse?tps=1&ttft=2000')),
        frame(frameType.rstStream, 0, 2 * i + 1, [0, 0, 0, 8]),
      ]),
    );
    const answer = await h2Exchange(h2(...flood), options({ timeoutMs: 5000 }));
    // nghttp2's stream-reset rate limit ends the session; it names it INTERNAL_ERROR, its choice.
    expect(goawayOf(answer.frames)).toBeDefined();
    expect(answer.closedByServer).toBe(true);
    await until(
      () => server.limiter.open <= streamsBefore,
      () => ({ open: server.limiter.open, before: streamsBefore }),
      3000,
    );
  });
});

describe('HTTP/1.1 on the TLS port', () => {
  /** Sends `pieces` (the last one maybe never) over TLS with ALPN http/1.1 and reads the answer until the server closes. */
  function slowRequest(pieces: string[]): Promise<{ text: string; ms: number }> {
    return new Promise((resolve) => {
      const started = performance.now();
      let text = '';
      const socket = tls.connect({ port: server.httpsPort, host: '127.0.0.1', ca: server.ca, ALPNProtocols: ['http/1.1'], servername: 'localhost' }, () => {
        for (const piece of pieces) socket.write(piece);
      });
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (text += d));
      socket.on('error', () => {});
      socket.on('close', () => resolve({ text, ms: performance.now() - started }));
      setTimeout(() => socket.destroy(), 5000);
    });
  }

  it('answers a head that never ends with 408 after headersTimeout (slowloris), as the plain port does', async () => {
    const { text, ms } = await slowRequest(['GET /api/prompts HTTP/1.1\r\nHost: localhost\r\nX-Slow: ']);
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(text).toContain('application/problem+json');
    expect(ms).toBeLessThan(2000);
  });

  it('answers a body that never ends with 408 after requestTimeout', async () => {
    const { text, ms } = await slowRequest([
      'POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"model":',
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(ms).toBeLessThan(2500);
  });

  it('keeps a stream whose request came whole running past both timeouts', async () => {
    const { text } = await slowRequest([
      'GET /api/stream/sse?text=one%20two%20three&tps=2&ttft=0&jitter=0 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('event: done');
  });
});

describe('after all of it', () => {
  it('the bystander’s stream ran on undisturbed, and every fault connection is gone', { timeout: 30_000 }, async () => {
    bystander.closing = true;
    bystander.session.close();
    const body = await bystander.body;
    expect(body).toContain('event: done');
    await until(
      () => tcpSockets.size === 0 && server.limiter.open === 0,
      () => ({ sockets: tcpSockets.size, open: server.limiter.open }),
      5000,
    );
  });
});
