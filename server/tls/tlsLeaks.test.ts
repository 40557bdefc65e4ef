/**
 * The TLS sibling of `leaks.test.ts`: clients of the HTTPS port that go away mid-stream, mid-
 * handshake or after a fault leave nothing behind: no stream counted in the limiter, no TCP
 * connection, no timer or handle, no heap. The server runs in this process, so its resources
 * show up in `process.getActiveResourcesInfo()` next to ours.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import http2 from 'node:http2';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { listenHttps, type ListeningHttps } from '../testing/listenHttps.ts';
import { until } from '../testing/until.ts';
import { heapAfterGc, mib } from '../hardening/heap.ts';
import { clientPreface, frame, frameType, h2Exchange } from '../testing/rawTls.ts';

let server: ListeningHttps;
const tcpSockets = new Set<Socket>();
/** Anything thrown where nobody catches it (a vanishing HTTP/2 client once crashed the process: see `shutdownGuard.ts`). */
const crashes: unknown[] = [];
const crashed = (error: unknown): void => void crashes.push(error);
beforeAll(async () => {
  process.on('uncaughtException', crashed);
  server = await listenHttps({ maxStreamsPerClient: 10_000 });
  server.https.server.on('connection', (socket: Socket) => {
    tcpSockets.add(socket);
    socket.once('close', () => tcpSockets.delete(socket));
  });
});
afterAll(async () => {
  await server.close();
  process.off('uncaughtException', crashed);
});

/** Slow enough that no stream ends on its own while the test runs. */
const slow = 'prompt=what-is-sse&tps=20&ttft=0';

function resources(): { timers: number; sockets: number; all: number } {
  const all = process.getActiveResourcesInfo();
  return { timers: all.filter((r) => r === 'Timeout').length, sockets: all.filter((r) => r === 'TCPSocketWrap').length, all: all.length };
}

async function settled(baseline: ReturnType<typeof resources>): Promise<boolean> {
  const now = resources();
  return server.limiter.open === 0 && tcpSockets.size === 0 && now.timers <= baseline.timers && now.sockets <= baseline.sockets && now.all <= baseline.all;
}

function state(): object {
  return { open: server.limiter.open, tcp: tcpSockets.size, now: resources(), all: process.getActiveResourcesInfo() };
}

type Kind = (i: number) => Promise<void>;

const kinds: Record<string, Kind> = {
  /** An HTTP/2 client that vanishes after the first bytes: no GOAWAY, no close_notify. */
  h2Vanish: (i) =>
    new Promise<void>((resolve, reject) => {
      let socket: tls.TLSSocket | undefined;
      const session = http2.connect(server.httpsUrl, {
        createConnection: () => (socket = tls.connect({ host: '127.0.0.1', port: server.httpsPort, ca: server.ca, ALPNProtocols: ['h2'] })),
      });
      session.on('error', () => {});
      const req = session.request({ ':path': `/api/stream/sse?${slow}&seed=${i}` });
      req.on('error', () => {});
      req.once('data', () => {
        socket!.destroy();
        session.destroy();
        resolve();
      });
      req.once('close', () => resolve());
      session.once('error', reject);
    }),
  /** An HTTP/2 client that resets its streams (RST_STREAM CANCEL), then closes the session politely. */
  h2Reset: (i) =>
    new Promise<void>((resolve) => {
      const session = http2.connect(server.httpsUrl, { ca: server.ca });
      session.on('error', () => {});
      let open = 3;
      for (let n = 0; n < 3; n++) {
        const req = session.request({ ':path': `/api/stream/sse?${slow}&seed=${i * 3 + n}` });
        req.on('error', () => {});
        req.once('data', () => req.close(http2.constants.NGHTTP2_CANCEL));
        req.once('close', () => {
          if (--open === 0) session.close(() => resolve());
        });
      }
    }),
  /** HTTP/1.1 inside TLS, gone after the first bytes. */
  h1Vanish: (i) =>
    new Promise<void>((resolve, reject) => {
      const req = https.get(
        `${server.httpsUrl}/api/stream/sse?${slow}&seed=${i}`,
        { ca: server.ca, agent: false, ALPNProtocols: ['http/1.1'] } as https.RequestOptions,
        (res) => {
          res.once('data', () => res.socket.destroy());
          res.on('close', () => resolve());
          res.on('error', () => {});
        },
      );
      req.on('error', reject);
    }),
  /** Half a ClientHello, then gone. */
  handshakeVanish: () =>
    new Promise<void>((resolve) => {
      const socket = net.connect(server.httpsPort, '127.0.0.1', () => {
        socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
        setImmediate(() => socket.destroy());
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve());
    }),
  /** A bad preface: the server's GOAWAY, then its close. */
  badPreface: () => h2Exchange(Buffer.from('PRI * HTTP/1.1\r\n\r\nXX\r\n\r\n'), { port: server.httpsPort, ca: server.ca }).then(() => {}),
  /** An oversized frame mid-stream: nghttp2's GOAWAY, and the close that follows it. */
  oversized: () =>
    h2Exchange(Buffer.concat([clientPreface, frame(frameType.settings, 0, 0), frame(frameType.data, 0, 1, Buffer.alloc(20_000))]), {
      port: server.httpsPort,
      ca: server.ca,
    }).then(() => {}),
};

async function pool(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

async function abandon(perKind: number, first = 0): Promise<number> {
  const names = Object.keys(kinds);
  const jobs = Array.from({ length: names.length * perKind }, (_, n) => () => kinds[names[n % names.length]!]!(first + Math.floor(n / names.length)));
  await pool(jobs, 20);
  return jobs.length;
}

it(
  'hundreds of HTTPS clients gone mid-stream, mid-handshake or after a fault leave no stream, timer, socket or heap behind',
  { timeout: 120_000 },
  async () => {
    const before = resources();
    for (const kind of Object.values(kinds)) await kind(1);
    await abandon(5, 1000);
    await until(() => settled(before), state);
    const baseline = resources();
    const heapBaseline = heapAfterGc();

    const perRound = 40;
    const heaps: number[] = [];
    for (let round = 0; round < 2; round++) {
      await abandon(perRound, round * perRound);
      await until(
        () => settled(baseline),
        () => ({ round, baseline, ...state() }),
      );
      heaps.push(heapAfterGc());
    }
    // Each round is 240 connections, 80 of them TLS handshakes with their own buffers: a leak of
    // 4 KiB a connection would show as 1 MiB a round.
    const [first, second] = heaps as [number, number];
    expect(first - heapBaseline, `heap: baseline ${mib(heapBaseline)}, after round 1 ${mib(first)}`).toBeLessThan(8 * 1024 * 1024);
    expect(second - first, `heap: after round 1 ${mib(first)}, after round 2 ${mib(second)}`).toBeLessThan(1024 * 1024);

    expect(crashes).toEqual([]);
    // And the port still serves.
    const session = http2.connect(server.httpsUrl, { ca: server.ca });
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/api/stream/http?text=ok&tps=1000&ttft=0' });
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (text += d));
      req.on('end', () => resolve(text));
      req.on('error', reject);
    });
    session.close();
    expect(JSON.parse(body)).toMatchObject({ text: 'ok' });
  },
);
