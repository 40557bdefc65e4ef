import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../../testing/listen.ts';
import { httpFeaturesRoutes } from './httpFeaturesRoutes.ts';
import { HttpLab } from './httpLab.ts';
import { startSecondOrigin, type SecondOrigin } from './secondOrigin.ts';

const lab = new HttpLab({ accessLog: { print: null } });
let server: Listening;
let second: SecondOrigin;
let staticDir: string;
beforeAll(async () => {
  server = await listen({ routes: (app, ctx) => app.use(httpFeaturesRoutes(ctx, lab)) });
  staticDir = await mkdtemp(path.join(tmpdir(), 'streamscope-second-origin-'));
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><html><head><title>Streamscope</title></head><body></body></html>');
  await writeFile(path.join(staticDir, 'app.js'), 'console.log("page")');
  second = await startSecondOrigin(server.port, staticDir);
  lab.cors.secondOriginPort = second.port;
});
afterAll(async () => {
  await second.close();
  await server.close();
  await rm(staticDir, { recursive: true });
});

const stream = '/api/labs/http/cors/sse?text=hi&tps=1000&ttft=0';
const foreign = 'http://evil.example';

function request(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url.startsWith('http') ? url : `${server.url}${url}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const toggle = (allowSecondOrigin: unknown) =>
  request('PUT', '/api/labs/http/cors', { 'Content-Type': 'application/json' }, JSON.stringify({ allowSecondOrigin }));
const preflight = (origin: string) =>
  request('OPTIONS', stream, { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization, x-custom' });

describe('CORS on an SSE stream', () => {
  it('streams to a foreign origin but without Access-Control-Allow-Origin, so a browser blocks it; then allows it after the toggle', async () => {
    expect(second.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await toggle(false);
    const blocked = await request('GET', stream, { Origin: second.url });
    // The server still answers the whole stream: only the browser enforces CORS.
    expect(blocked.status).toBe(200);
    expect(blocked.body).toContain('event: done');
    expect(blocked.headers['access-control-allow-origin']).toBeUndefined();
    expect(blocked.headers.vary).toBe('Origin');

    const on = await toggle(true);
    expect(JSON.parse(on.body)).toEqual({ allowSecondOrigin: true, secondOrigin: second.url, allowedOrigins: [] });
    const allowed = await request('GET', stream, { Origin: second.url });
    expect(allowed.headers['access-control-allow-origin']).toBe(second.url);
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    expect(allowed.headers['content-type']).toBe('text/event-stream');
    // Any other foreign origin is still refused.
    expect((await request('GET', stream, { Origin: foreign })).headers['access-control-allow-origin']).toBeUndefined();
    await toggle(false);
    expect((await request('GET', stream, { Origin: second.url })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('takes the second origin on the host name the request came to (localhost, 127.0.0.1 or a LAN address)', async () => {
    await toggle(true);
    const host = { Host: `localhost:${server.port}` };
    const viaLocalhost = await request('GET', stream, { ...host, Origin: `http://localhost:${second.port}` });
    expect(viaLocalhost.headers['access-control-allow-origin']).toBe(`http://localhost:${second.port}`);
    // Same port, other host name: another origin.
    expect((await request('GET', stream, { ...host, Origin: second.url })).headers['access-control-allow-origin']).toBeUndefined();
    await toggle(false);
  });

  it('allows its own origin', async () => {
    const own = await request('GET', stream, { Origin: server.url });
    expect(own.headers['access-control-allow-origin']).toBe(server.url);
  });

  it('answers the preflight: no CORS headers for a refused origin; the method, the allowed headers and max-age 0 for an allowed one', async () => {
    await toggle(false);
    const refused = await preflight(second.url);
    expect(refused.status).toBe(204);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    await toggle(true);
    const accepted = await preflight(second.url);
    expect(accepted.status).toBe(204);
    expect(accepted.headers).toMatchObject({
      'access-control-allow-origin': second.url,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET',
      'access-control-allow-headers': 'authorization',
      'access-control-max-age': '0',
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    });
    expect(accepted.body).toBe('');
    await toggle(false);
  });

  it('refuses a toggle that is not a boolean, naming the field', async () => {
    const answer = await toggle('yes');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ param: 'allowSecondOrigin' });
    const broken = await request('PUT', '/api/labs/http/cors', {}, '{"allowSecondOrigin":');
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body)).toMatchObject({ param: 'body' });
  });
});

describe('WebSocket Origin check toggle', () => {
  it('PUT /api/labs/http/ws-origin-check switches the check the upgrade listener asks', async () => {
    const handshake = { headers: { origin: second.url, host: `127.0.0.1:${server.port}` } } as http.IncomingMessage;
    expect(lab.wsOriginAllows(handshake)).toBe(false);
    const off = await request('PUT', '/api/labs/http/ws-origin-check', {}, JSON.stringify({ enabled: false }));
    expect(JSON.parse(off.body)).toEqual({ enabled: false, allowedOrigins: [] });
    expect(lab.wsOriginAllows(handshake)).toBe(true);
    await request('PUT', '/api/labs/http/ws-origin-check', {}, JSON.stringify({ enabled: true }));
    expect(JSON.parse((await request('GET', '/api/labs/http/ws-origin-check')).body)).toEqual({ enabled: true, allowedOrigins: [] });
    expect(lab.wsOriginAllows(handshake)).toBe(false);
    expect((await request('PUT', '/api/labs/http/ws-origin-check', {}, '{"enabled":1}')).status).toBe(400);
  });
});

describe('startSecondOrigin', () => {
  it('serves the same page on another port, telling it where the main origin is', async () => {
    const page = await request('GET', `${second.url}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<head>\n    <meta name="streamscope-main-origin" content="http://127.0.0.1:${server.port}">`);
    expect((await request('GET', `${second.url}/lessons/04-plain-http`)).body).toContain('streamscope-main-origin');
    // The main origin is named with the host name the browser used.
    const viaLocalhost = await request('GET', `${second.url}/`, { Host: `localhost:${second.port}` });
    expect(viaLocalhost.body).toContain(`<meta name="streamscope-main-origin" content="http://localhost:${server.port}">`);
    expect((await request('GET', `${second.url}/app.js`)).body).toBe('console.log("page")');
    const api = await request('GET', `${second.url}/api/prompts`);
    expect(api.status).toBe(404);
    expect(JSON.parse(api.body).detail).toContain(`http://127.0.0.1:${server.port}`);
  });
});
