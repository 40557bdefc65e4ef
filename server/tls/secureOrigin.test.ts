/**
 * How the page on the plain port finds and may use the HTTPS port: `GET /api/https`, CORS on the
 * HTTPS port for the same host's plain origin only (HTTP/2 and HTTP/1.1), and the page's
 * Content-Security-Policy naming the HTTPS origin in `connect-src`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import http from 'node:http';
import https from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listenHttps, type ListeningHttps } from '../testing/listenHttps.ts';
import { listen } from '../testing/listen.ts';
import { contentSecurityPolicy } from '../classroom/contentSecurityPolicy.ts';
import { isOwnPlainOrigin, requestHostname } from './secureOrigin.ts';

let server: ListeningHttps;
let staticDir: string;
beforeAll(async () => {
  staticDir = await mkdtemp(path.join(tmpdir(), 'streamscope-page-'));
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>page</title>');
  server = await listenHttps({ staticDir });
});
afterAll(async () => {
  await server.close();
  await rm(staticDir, { recursive: true, force: true });
});

const query = 'tps=1000&ttft=0&text=Hi';

function h2Request(headers: OutgoingHttpHeaders): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  const session = http2.connect(server.httpsUrl, { ca: server.ca });
  return new Promise<{ headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = session.request(headers);
    let got: IncomingHttpHeaders = {};
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (got = h));
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve({ headers: got, body }));
    req.on('error', reject);
    req.end();
  }).finally(() => session.close());
}

function http1Request(pathname: string, headers: Record<string, string>): Promise<{ headers: Record<string, unknown>; status: number }> {
  return new Promise((resolve, reject) => {
    https
      .get(`${server.httpsUrl}${pathname}`, { ca: server.ca, agent: false, ALPNProtocols: ['http/1.1'], headers } as https.RequestOptions, (res) => {
        res.resume();
        res.on('end', () => resolve({ headers: res.headers, status: res.statusCode ?? 0 }));
      })
      .on('error', reject);
  });
}

describe('GET /api/https', () => {
  it('names the HTTPS port on both ports, uncached', async () => {
    const res = await fetch(`${server.url}/api/https`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ port: server.httpsPort });
    const over = await h2Request({ ':path': '/api/https' });
    expect(JSON.parse(over.body)).toEqual({ port: server.httpsPort });
  });

  it('answers null when no HTTPS is served', async () => {
    const plain = await listen();
    try {
      expect(await (await fetch(`${plain.url}/api/https`)).json()).toEqual({ port: null });
    } finally {
      await plain.close();
    }
  });
});

describe('CORS on the HTTPS port', () => {
  const own = (): string => `http://127.0.0.1:${server.port}`;

  it('lets the same host’s plain page read an event stream over HTTP/2', async () => {
    const res = await h2Request({ ':path': `/api/stream/sse?${query}`, origin: own() });
    expect(res.headers[':status']).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(own());
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(String(res.headers.vary)).toMatch(/origin/i);
    expect(res.body).toContain('event: done');
    const probe = await h2Request({ ':path': '/api/https', origin: own() });
    expect(probe.headers['access-control-allow-origin']).toBe(own());
  });

  it('and over HTTP/1.1 inside TLS', async () => {
    const res = await http1Request(`/api/stream/sse?${query}`, { origin: own() });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(own());
  });

  it.each([
    ['another site', 'http://evil.example'],
    ['another port of the host', 'http://127.0.0.1:1'],
    ['the HTTPS origin itself (same-origin, needs nothing)', 'https://127.0.0.1:1'],
    ['another name of the host', 'http://localhost:PORT'],
    ['a malformed origin', 'null'],
  ])('allows no %s', async (_what, origin) => {
    const res = await h2Request({ ':path': `/api/stream/sse?${query}`, origin: origin.replace('PORT', String(server.port)) });
    expect(res.headers[':status']).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers the preflight of an EventSource reconnecting with Last-Event-ID', async () => {
    const res = await h2Request({
      ':method': 'OPTIONS',
      ':path': `/api/stream/sse?${query}`,
      origin: own(),
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'last-event-id',
    });
    expect(res.headers[':status']).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(own());
    expect(String(res.headers['access-control-allow-headers'])).toMatch(/last-event-id/i);
  });

  it('lets the page read the tap and the port with credentials (the h2 lab keeps them off its streams’ connection), not the streams', async () => {
    const tap = http2.connect(server.httpsUrl, { ca: server.ca });
    const head = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      const req = tap.request({ ':path': '/api/tap?run=corstest', origin: own() });
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    tap.destroy();
    expect(head[':status']).toBe(200);
    expect(head['access-control-allow-origin']).toBe(own());
    expect(head['access-control-allow-credentials']).toBe('true');
    const probe = await h2Request({ ':path': '/api/https', origin: own() });
    expect(probe.headers['access-control-allow-credentials']).toBe('true');
    const stream = await h2Request({ ':path': `/api/stream/sse?${query}`, origin: own() });
    expect(stream.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('adds nothing on the plain port, nor to other paths', async () => {
    const plain = await fetch(`${server.url}/api/stream/sse?${query}`, { headers: { origin: own() } });
    await plain.text();
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    const prompts = await h2Request({ ':path': '/api/prompts', origin: own() });
    expect(prompts.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the page’s Content-Security-Policy', () => {
  it('lets the page connect to its host’s HTTPS origin', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get('content-security-policy')).toContain(`connect-src 'self' https://127.0.0.1:${server.httpsPort};`);
    // fetch() sends its own Host: ask with another name of the host the way a browser would.
    const other = await new Promise<string>((resolve, reject) =>
      http
        .get(`${server.url}/`, { headers: { host: `localhost:${server.port}` } }, (res) => {
          res.resume();
          resolve(String(res.headers['content-security-policy']));
        })
        .on('error', reject),
    );
    expect(other).toContain(`connect-src 'self' https://localhost:${server.httpsPort};`);
  });

  it('is the plain policy when no HTTPS is served', async () => {
    const plain = await listen({ staticDir });
    try {
      expect((await fetch(`${plain.url}/`)).headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    } finally {
      await plain.close();
    }
  });
});

describe('origins', () => {
  it.each([
    ['localhost:3000', 'localhost'],
    ['[::1]:3000', '[::1]'],
    ['192.168.1.20', '192.168.1.20'],
    ['evil.example; script-src *', undefined],
    [undefined, undefined],
  ])('host %s is %s', (host, want) => {
    expect(requestHostname({ headers: host === undefined ? {} : { host } })).toBe(want);
  });

  it('knows the plain origin of the host it was sent to', () => {
    const req = { headers: { host: 'localhost:3443' } };
    expect(isOwnPlainOrigin('http://localhost:3000', req, 3000)).toBe(true);
    expect(isOwnPlainOrigin('http://localhost', req, 80)).toBe(true);
    expect(isOwnPlainOrigin('http://localhost:3000/', req, 3000)).toBe(false);
    expect(isOwnPlainOrigin('https://localhost:3000', req, 3000)).toBe(false);
    expect(isOwnPlainOrigin('http://localhost:3000', req, null)).toBe(false);
  });
});
