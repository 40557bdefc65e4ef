/**
 * The HTTPS port over real sockets: HTTP/2 and the HTTP/1.1 fallback serve the same event-stream
 * bytes as the plain port, the tap sees both layers (TLS records and the plaintext inside), an
 * HTTP/2 connection reaches every run with a stream on it, and a client that vanishes leaves
 * nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import https from 'node:https';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import WebSocket from 'ws';
import { listenHttps, type ListeningHttps } from '../testing/listenHttps.ts';
import { subscribeTap } from '../testing/tapReader.ts';
import { until } from '../testing/until.ts';
import { expectedSse } from '../testing/expectedSse.ts';
import type { TapEvent, TapOpen } from '../../shared/tap.ts';

let server: ListeningHttps;
const tcpSockets = new Set<Socket>();
beforeAll(async () => {
  server = await listenHttps({ maxStreamsPerClient: 1000 });
  server.https.server.on('connection', (socket: Socket) => {
    tcpSockets.add(socket);
    socket.once('close', () => tcpSockets.delete(socket));
  });
});
afterAll(() => server.close());

const query = 'tps=1000&ttft=0&text=Hello%20there%2C%20wire';

function connect(): ClientHttp2Session {
  return http2.connect(server.httpsUrl, { ca: server.ca });
}

function h2Get(session: ClientHttp2Session, path: string): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    let headers: IncomingHttpHeaders = {};
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (headers = h));
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve({ headers, body }));
    req.on('error', reject);
  });
}

function httpsGet(path: string, ALPNProtocols?: string[]): Promise<{ version: string; alpn: string | false | null; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(`${server.httpsUrl}${path}`, { ca: server.ca, agent: false, ...(ALPNProtocols ? { ALPNProtocols } : {}) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({ version: res.httpVersion, alpn: (res.socket as import('node:tls').TLSSocket).alpnProtocol, status: res.statusCode ?? 0, body }),
        );
      })
      .on('error', reject);
  });
}

const decode = (e: TapEvent): Buffer => Buffer.from('data' in e ? e.data : '', 'base64');

describe('HTTPS port', () => {
  it('serves an SSE stream over HTTP/2 with the same event-stream bytes as plain HTTP/1.1', async () => {
    const session = connect();
    try {
      const h2 = await h2Get(session, `/api/stream/sse?${query}`);
      expect(h2.headers[':status']).toBe(200);
      expect(h2.headers['content-type']).toBe('text/event-stream');
      expect(h2.headers.connection).toBeUndefined();
      expect(h2.headers['transfer-encoding']).toBeUndefined();
      const plain = await (await fetch(`${server.url}/api/stream/sse?${query}`)).text();
      expect(h2.body).toBe(plain);
      expect(h2.body).toBe(expectedSse({ text: 'Hello there, wire', tps: 1000, ttft: 0 }));
      // The buffered reply and the prompts list too.
      const buffered = await h2Get(session, `/api/stream/http?${query}`);
      expect(buffered.body).toBe(await (await fetch(`${server.url}/api/stream/http?${query}`)).text());
      expect(JSON.parse((await h2Get(session, '/api/prompts')).body)).toHaveProperty('prompts');
    } finally {
      session.close();
    }
  });

  it('falls back to HTTP/1.1 for a client that offers only it (ALPN), or offers none', async () => {
    const plain = await (await fetch(`${server.url}/api/stream/sse?${query}`)).text();
    const offered = await httpsGet(`/api/stream/sse?${query}`, ['http/1.1']);
    expect(offered).toMatchObject({ version: '1.1', alpn: 'http/1.1', status: 200, body: plain });
    const none = await httpsGet(`/api/stream/sse?${query}`);
    expect(none).toMatchObject({ version: '1.1', status: 200, body: plain });
  });

  it('taps HTTP/1.1 inside TLS as on the plain port, with its records beside it', async () => {
    const tap = await subscribeTap(server.url, 'h1run');
    await httpsGet(`/api/stream/sse?${query}&run=h1run`, ['http/1.1']);
    await until(() => tap.events.filter((e) => e.type === 'close').length === 2, 'both layers closing');
    tap.stop();
    const opens = tap.events.filter((e): e is TapOpen => e.type === 'open');
    const plain = opens.find((e) => !e.layer)!;
    const records = opens.find((e) => e.layer === 'tls')!;
    expect(plain).toMatchObject({ protocol: 'http/1.1', tls: records.conn });
    expect(records).toMatchObject({ carries: plain.conn });
    const reads = Buffer.concat(tap.events.filter((e) => e.type === 'read' && e.conn === plain.conn).map(decode)).toString();
    expect(reads).toMatch(/^GET \/api\/stream\/sse\?/);
    const writes = Buffer.concat(tap.events.filter((e) => e.type === 'write' && e.conn === plain.conn).map(decode)).toString();
    expect(writes).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(writes).toContain('Transfer-Encoding: chunked');
    expect(decode(tap.events.find((e) => e.type === 'read' && e.conn === records.conn)!)[0]).toBe(0x16);
  });

  it('opens WebSockets over the HTTP/1.1 fallback', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.httpsPort}/api/stream/ws`, { ca: server.ca });
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'start', text: 'Hi ws', tps: 1000, ttft: 0 })));
      ws.on('message', (data) => {
        messages.push(String(data));
        if (String(data).includes('"done"')) resolve();
      });
      ws.on('error', reject);
    });
    ws.close();
    expect(messages.some((m) => m.includes('"token"'))).toBe(true);
  });

  it('taps the plaintext HTTP/2 frames and the TLS records of a run as two layers', async () => {
    const tap = await subscribeTap(server.url, 'h2run');
    const session = connect();
    try {
      await h2Get(session, `/api/stream/sse?${query}&run=h2run`);
    } finally {
      session.close();
    }
    await until(() => tap.events.filter((e) => e.type === 'close').length === 2, 'both layers closing');
    tap.stop();
    const opens = tap.events.filter((e): e is TapOpen => e.type === 'open');
    const plain = opens.find((e) => !e.layer)!;
    const records = opens.find((e) => e.layer === 'tls')!;
    expect(plain).toMatchObject({ protocol: 'h2', tls: records.conn, run: 'h2run' });
    expect(records).toMatchObject({ carries: plain.conn, run: 'h2run' });

    const plainReads = Buffer.concat(tap.events.filter((e) => e.type === 'read' && e.conn === plain.conn).map(decode));
    expect(plainReads.subarray(0, 24).toString('latin1')).toBe('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    expect(tap.events.find((e) => e.type === 'request' && e.conn === plain.conn)).toMatchObject({ stream: 1 });
    // A DATA frame (type 0) on stream 1 carrying an event.
    const plainWrites = Buffer.concat(tap.events.filter((e) => e.type === 'write' && e.conn === plain.conn).map(decode));
    const dataFrames = frames(plainWrites).filter((f) => f.type === 0 && f.stream === 1);
    expect(dataFrames.map((f) => f.payload.toString()).join('')).toContain('event: token\ndata: {"index":0');

    const tlsEvents = tap.events.filter((e) => 'conn' in e && e.conn === records.conn);
    expect(tlsEvents.every((e) => 'layer' in e && e.layer === 'tls')).toBe(true);
    const firstRead = tlsEvents.find((e) => e.type === 'read')!;
    expect(decode(firstRead)[0]).toBe(0x16); // a handshake record: the ClientHello
    // Encrypted: no event text in the records.
    expect(Buffer.concat(tlsEvents.filter((e) => e.type === 'write').map(decode)).includes('event: token')).toBe(false);
  });

  it('shows an HTTP/2 connection to every run with a stream on it, the later one from its start', async () => {
    const [a, b, all] = await Promise.all([subscribeTap(server.url, 'runa'), subscribeTap(server.url, 'runb'), subscribeTap(server.url)]);
    const session = connect();
    try {
      await h2Get(session, `/api/stream/sse?${query}&run=runa`);
      await h2Get(session, `/api/stream/sse?${query}&run=runb`);
    } finally {
      session.close();
    }
    await until(() => [a, b].every((t) => t.events.filter((e) => e.type === 'close').length === 2), 'both taps seeing the close');
    const plainOf = (events: TapEvent[]): TapOpen => events.find((e): e is TapOpen => e.type === 'open' && !e.layer)!;
    await until(() => all.events.filter((e) => e.type === 'close' && e.conn === plainOf(a.events).conn).length > 0, 'the all-runs tap seeing the close');
    a.stop();
    b.stop();
    all.stop();
    // A reader of every run gets each byte once, though the connection has two runs.
    const allBytes = all.events.filter((e) => (e.type === 'read' || e.type === 'write') && e.conn === plainOf(a.events).conn);
    const aBytes = a.events.filter((e) => (e.type === 'read' || e.type === 'write') && e.conn === plainOf(a.events).conn);
    expect(allBytes.map((e) => `${e.type}${decode(e).toString('base64')}`)).toEqual(aBytes.map((e) => `${e.type}${decode(e).toString('base64')}`));
    expect(plainOf(a.events).conn).toBe(plainOf(b.events).conn);
    for (const [tap, stream] of [
      [a, 1],
      [b, 3],
    ] as const) {
      expect(tap.events.filter((e) => e.type === 'request').map((e) => 'stream' in e && e.stream)).toContain(stream);
      const reads = Buffer.concat(tap.events.filter((e) => e.type === 'read' && e.conn === plainOf(tap.events).conn).map(decode));
      expect(reads.subarray(0, 3).toString()).toBe('PRI');
      const tlsRead = tap.events.find((e) => e.type === 'read' && 'layer' in e && e.layer === 'tls')!;
      expect(decode(tlsRead)[0]).toBe(0x16);
    }
    // Run b's tap replays what came before its stream, run a's frames included.
    const bWrites = Buffer.concat(b.events.filter((e) => e.type === 'write' && e.conn === plainOf(b.events).conn).map(decode));
    expect(frames(bWrites).some((f) => f.type === 0 && f.stream === 1)).toBe(true);
  });

  it('leaves the tap’s own frames out when the tap shares the HTTP/2 connection, and reports no TLS records meanwhile', async () => {
    const session = connect();
    const tapEvents: TapEvent[] = [];
    const tapStream = session.request({ ':path': '/api/tap?run=self' });
    tapStream.setEncoding('utf8');
    let buffered = '';
    tapStream.on('data', (d: string) => {
      buffered += d;
      const parts = buffered.split('\n\n');
      buffered = parts.pop()!;
      for (const part of parts) for (const line of part.split('\n')) if (line.startsWith('data: ')) tapEvents.push(JSON.parse(line.slice(6)) as TapEvent);
    });
    await new Promise((resolve) => tapStream.once('response', resolve));
    await h2Get(session, `/api/stream/sse?${query}&run=self`);
    await until(() => tapEvents.some((e) => e.type === 'write' && decode(e).includes('event: done')), 'the run’s last event in the tap');
    // The run's stream ends (END_STREAM, RST_STREAM) a moment later; then nothing more may come.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const settledCount = tapEvents.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    // No feedback: the tap's own DATA frames are not tapped, so nothing more arrives.
    expect(tapEvents.slice(settledCount)).toEqual([]);
    expect(tapEvents.some((e) => 'layer' in e && e.layer === 'tls' && e.type !== 'open')).toBe(false);
    const writes = Buffer.concat(tapEvents.filter((e) => e.type === 'write' && !('layer' in e && e.layer)).map(decode));
    expect(writes.includes('"type":"write"')).toBe(false);
    tapStream.close();
    session.close();
  });

  it('leaves no socket, stream or timer when an HTTP/2 client vanishes mid-stream', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    let socket: import('node:tls').TLSSocket | undefined;
    const session = http2.connect(server.httpsUrl, {
      createConnection: () => (socket = tlsConnect({ host: '127.0.0.1', port: server.httpsPort, ca: server.ca, ALPNProtocols: ['h2'] })),
    });
    const req = session.request({ ':path': '/api/stream/sse?tps=20&ttft=0&prompt=what-is-sse' });
    await new Promise((resolve) => req.once('data', resolve));
    expect(server.limiter.open).toBe(1);
    // Gone without a GOAWAY or a TLS close_notify: the TCP connection just ends.
    socket!.destroy();
    session.destroy();
    await until(
      () => server.limiter.open === 0 && tcpSockets.size === 0,
      () => ({ open: server.limiter.open, sockets: tcpSockets.size }),
      3000,
    );
    await until(
      () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length <= before,
      () => process.getActiveResourcesInfo(),
      1000,
    );
  });

  it('gives HTTP/2 requests the client’s address (the stream limiter counts by it)', async () => {
    const limited = await listenHttps({ maxStreamsPerClient: 1 });
    const session = http2.connect(limited.httpsUrl, { ca: limited.ca });
    try {
      const first = session.request({ ':path': '/api/stream/sse?tps=20&ttft=0&prompt=what-is-sse' });
      await new Promise((resolve) => first.once('data', resolve));
      const second = await h2Get(session, `/api/stream/sse?${query}`);
      expect(second.headers[':status']).toBe(429);
      first.close();
    } finally {
      session.destroy();
      await limited.close();
    }
  });
});

/** The HTTP/2 frames in bytes written by the server (no preface on this side). */
function frames(bytes: Buffer): { type: number; stream: number; payload: Buffer }[] {
  const found = [];
  let i = 0;
  while (i + 9 <= bytes.length) {
    const length = bytes.readUIntBE(i, 3);
    found.push({ type: bytes[i + 3]!, stream: bytes.readUInt32BE(i + 5) & 0x7fffffff, payload: bytes.subarray(i + 9, i + 9 + length) });
    i += 9 + length;
  }
  return found;
}
