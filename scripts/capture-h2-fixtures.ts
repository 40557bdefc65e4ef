/**
 * Captures real HTTP/2 and TLS wire bytes for the dissector tests, into client/src/wire/fixtures/:
 *
 * - h2c-sse.json: Node's http2 client asks Node's http2 server (plain TCP, prior knowledge) for
 *   a text/event-stream written one token event at a time, with small delays;
 * - h2-tls.json: the same over TLS (a throwaway self-signed certificate for "localhost", made
 *   with openssl in a temporary folder and deleted after), the client offering ALPN h2 and
 *   http/1.1;
 * - h2-tls-chromium.json (with --chromium): Chromium's own TLS connection to the same server;
 * - h2-streamscope-chromium.json (with --chromium): Chromium loads a small page from Streamscope's
 *   own HTTPS port that opens an EventSource, and the tap's plaintext HTTP/2 of that connection
 *   (both directions, read by read, as the page's network view gets it) is kept: the page
 *   request, the EventSource's stream and Chromium's SETTINGS, WINDOW_UPDATE and header blocks.
 *
 * Each connection goes through a TCP proxy that logs every read with its direction and time,
 * so the fixtures hold the bytes exactly as they crossed the wire, read by read.
 * Run: node --import tsx scripts/capture-h2-fixtures.ts [--chromium] [--only-streamscope]
 * (`--only-streamscope`: only h2-streamscope-chromium.json, the others left as they are)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { ByteEventJson, Direction } from '../client/src/wire/types.ts';
import type { TapEvent, TapOpen } from '../shared/tap.ts';

const out = path.resolve(import.meta.dirname, '../client/src/wire/fixtures');
const tokens = ['Hello', ',', ' wire', '!', ' 日本', ' 👋🏽'];
const text = tokens.join('');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

/** The stream handler both servers use: an SSE token stream, one write per event. */
async function serveEvents(stream: http2.ServerHttp2Stream): Promise<void> {
  stream.respond({ ':status': 200, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  stream.write('retry: 3000\n\n');
  for (const [index, t] of tokens.entries()) {
    await sleep(15);
    stream.write(`id: ${index}\nevent: token\ndata: ${JSON.stringify({ index, text: t })}\n\n`);
  }
  await sleep(15);
  stream.end(`event: done\ndata: {"tokens":${tokens.length}}\n\n`);
}

/** A TCP proxy in front of `target` that logs each read, per connection, with its direction and time. */
async function proxy(target: number): Promise<{ port: number; connections: ByteEventJson[][]; closed: () => Promise<void>; close: () => void }> {
  const connections: ByteEventJson[][] = [];
  let open = 0;
  const server = net.createServer((client) => {
    const log: ByteEventJson[] = [];
    connections.push(log);
    open++;
    const upstream = net.connect(target, '127.0.0.1');
    const record = (dir: Direction) => (data: Buffer) => log.push({ t: Math.round(now() * 1000) / 1000, dir, data: data.toString('base64') });
    client.on('data', record('up'));
    upstream.on('data', record('down'));
    client.pipe(upstream);
    upstream.pipe(client);
    let ends = 0;
    const done = () => {
      if (++ends === 2) open--;
    };
    client.on('close', done);
    upstream.on('close', done);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections,
    closed: async () => {
      for (let i = 0; i < 200 && open > 0; i++) await sleep(10);
    },
    close: () => server.close(),
  };
}

/** Requests the event stream over `session` and reads it to the end. */
function fetchEvents(session: http2.ClientHttp2Session): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': '/api/stream/sse?prompt=hello', accept: 'text/event-stream' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
    req.end();
  });
}

function save(name: string, comment: string, events: ByteEventJson[]): void {
  writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify({ comment, text, events }, null, 1)}\n`);
  console.log(`${name}: ${events.length} events`);
}

async function listening(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

const onlyStreamscope = process.argv.includes('--only-streamscope');

// h2c: HTTP/2 over plain TCP with prior knowledge (RFC 9113 §3.3).
if (!onlyStreamscope) {
  const server = http2.createServer();
  server.on('stream', (stream) => void serveEvents(stream));
  const p = await proxy(await listening(server));
  const session = http2.connect(`http://localhost:${p.port}`);
  // A larger connection window (a WINDOW_UPDATE on stream 0) and a PING with its ACK, as real clients send.
  session.on('connect', () => session.setLocalWindowSize(1 << 20));
  const body = await fetchEvents(session);
  if (!body.includes('event: done')) throw new Error('h2c: the event stream did not finish');
  await new Promise((resolve) => session.ping(Buffer.from('streamsc'), resolve));
  session.close();
  await p.closed();
  save(
    'h2c-sse',
    'Captured by scripts/capture-h2-fixtures.ts: Node http2 client and server, h2c (prior knowledge), through a logging TCP proxy.',
    p.connections[0] ?? [],
  );
  p.close();
  server.close();
}

// TLS: a throwaway certificate for localhost, made for this run only.
if (!onlyStreamscope) {
  const dir = mkdtempSync(path.join(tmpdir(), 'streamscope-h2-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const key = readFileSync(path.join(dir, 'key.pem'));
    const cert = readFileSync(path.join(dir, 'cert.pem'));
    const server = http2.createSecureServer({ key, cert, allowHTTP1: true });
    server.on('stream', (stream) => void serveEvents(stream));
    const p = await proxy(await listening(server));

    const session = http2.connect(`https://localhost:${p.port}`, {
      createConnection: () => tls.connect({ host: '127.0.0.1', port: p.port, servername: 'localhost', ca: cert, ALPNProtocols: ['h2', 'http/1.1'] }),
    });
    const body = await fetchEvents(session);
    if (!body.includes('event: done')) throw new Error('TLS: the event stream did not finish');
    session.close();
    await p.closed();
    save(
      'h2-tls',
      'Captured by scripts/capture-h2-fixtures.ts: Node http2 client (ALPN h2, http/1.1; SNI localhost) and http2.createSecureServer with a throwaway self-signed certificate, through a logging TCP proxy.',
      p.connections[0] ?? [],
    );

    if (process.argv.includes('--chromium')) {
      const { launch } = await import('../tests/browser/browser.ts');
      const before = p.connections.length;
      const browser = await launch();
      try {
        const context = await browser.newContext({ ignoreHTTPSErrors: true });
        const page = await context.newPage();
        await page.goto(`https://localhost:${p.port}/api/stream/sse`, { waitUntil: 'commit' });
        await sleep(300);
        await context.close();
      } finally {
        await browser.close();
      }
      await p.closed();
      save(
        'h2-tls-chromium',
        'Captured by scripts/capture-h2-fixtures.ts --chromium: headless Chromium to http2.createSecureServer (throwaway self-signed certificate), through a logging TCP proxy.',
        // Chromium may open more than one connection (a speculative one, a retry): keep the busiest.
        p.connections.slice(before).reduce<ByteEventJson[]>((a, b) => (b.length > a.length ? b : a), []),
      );
    }
    p.close();
    server.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Streamscope's own HTTPS port, Chromium as the client, bytes from the tap's plaintext layer.
if (process.argv.includes('--chromium') || onlyStreamscope) {
  const { listenHttps } = await import('../server/testing/listenHttps.ts');
  const { subscribeTap } = await import('../server/testing/tapReader.ts');
  const { until } = await import('../server/testing/until.ts');
  const { launch } = await import('../tests/browser/browser.ts');
  const run = 'chromiumh2';
  const reply = 'Hello over HTTP/2, 日本 👋🏽';
  const pageDir = mkdtempSync(path.join(tmpdir(), 'streamscope-h2-page-'));
  // The page's CSP allows its own scripts only: the EventSource is opened by a file beside it.
  writeFileSync(path.join(pageDir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>h2</title><script src="/sse.js"></script>\n');
  writeFileSync(
    path.join(pageDir, 'sse.js'),
    `const source = new EventSource('/api/stream/sse?tps=50&ttft=0&jitter=0&run=${run}&text=${encodeURIComponent(reply)}');
source.addEventListener('done', () => { source.close(); document.title = 'done'; });\n`,
  );
  const server = await listenHttps({ staticDir: pageDir });
  const tap = await subscribeTap(server.url, run);
  const browser = await launch();
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`https://localhost:${server.httpsPort}/`);
    await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 20_000 });
    await context.close();
    const plain = () => tap.events.find((e): e is TapOpen => e.type === 'open' && !e.layer && e.protocol === 'h2');
    await until(() => tap.events.some((e) => e.type === 'close' && e.conn === plain()?.conn), 'the connection closing in the tap');
  } finally {
    await browser.close();
    tap.stop();
    await server.close();
    rmSync(pageDir, { recursive: true, force: true });
  }
  const conn = tap.events.find((e): e is TapOpen => e.type === 'open' && !e.layer && e.protocol === 'h2')!.conn;
  const events = tap.events
    .filter((e): e is Extract<TapEvent, { type: 'read' | 'write' }> => (e.type === 'read' || e.type === 'write') && e.conn === conn)
    .map((e): ByteEventJson => ({ t: e.t, dir: e.type === 'read' ? 'up' : 'down', data: e.data }));
  writeFileSync(
    path.join(out, 'h2-streamscope-chromium.json'),
    `${JSON.stringify(
      {
        comment:
          "Captured by scripts/capture-h2-fixtures.ts --chromium: headless Chromium loads a page from Streamscope's HTTPS port that opens an EventSource; the tap's plaintext HTTP/2 of that connection (TLS ended in JavaScript), both directions, read by read.",
        text: reply,
        events,
      },
      null,
      1,
    )}\n`,
  );
  console.log(`h2-streamscope-chromium: ${events.length} events`);
}
