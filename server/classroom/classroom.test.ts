/**
 * Classroom mode over real sockets. Students are loopback addresses of their own (127.0.0.2,
 * 127.0.0.3: Linux routes all of 127/8 to lo), the presenter proves itself with the token.
 * Each student's tap shows only its own connections, with credentials masked byte for byte;
 * the presenter's shows everything as it is; loopback mode changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import WebSocket from 'ws';
import { listen, type Listening } from '../testing/listen.ts';
import { Presenter, presenterCookie } from './presenter.ts';
import { contentSecurityPolicy } from './contentSecurityPolicy.ts';
import type { TapOpen } from '../../shared/tap.ts';
import { until } from '../testing/until.ts';
import { subscribeTapFrom, type TapReader } from '../testing/tapReader.ts';
import { rawRequestFrom } from '../testing/rawHttp.ts';

const token = 'the-presenters-token';
const studentA = '127.0.0.2';
const studentB = '127.0.0.3';

let server: Listening;
let loopback: Listening;
beforeAll(async () => {
  const routes = (app: import('express').Express): void => {
    // A response that sets a cookie, as the HTTP lab's login does.
    app.get('/api/test/login', (_req, res) => res.set('Set-Cookie', 'streamscope_session=fresh-secret; HttpOnly').json({ ok: true }));
  };
  [server, loopback] = await Promise.all([
    listen({ classroom: true, presenter: new Presenter(token), maxStreamsPerClient: 2, heartbeatMs: 60_000, routes }),
    listen({ heartbeatMs: 60_000, routes }),
  ]);
});
afterAll(() => Promise.all([server.close(), loopback.close()]));

/** The tap of `target` as a reader from `localAddress` sees it. */
const subscribe = (target: Listening, localAddress: string, headers: Record<string, string> = {}): Promise<TapReader> =>
  subscribeTapFrom(target.port, localAddress, headers);

/** A request from `localAddress` over a raw socket, head sent in `pieces` writes; resolves with the answer. */
function rawRequest(target: Listening, localAddress: string, head: string, pieces = 1): Promise<string> {
  const size = Math.ceil(head.length / pieces);
  const parts = Array.from({ length: Math.ceil(head.length / size) }, (_, i) => head.slice(i * size, (i + 1) * size));
  return rawRequestFrom(target.port, localAddress, parts, 1);
}

const head = (path: string, secret: string): string =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: streamscope_session=${secret}\r\nAuthorization: Bearer ${secret}-bearer\r\nConnection: close\r\n\r\n`;

/** Every byte a tap reader got, per connection, decoded; and which addresses it saw. */
function seen(reader: TapReader): { addresses: Set<string>; text: string; reads: Map<number, number[]> } {
  const addresses = new Set(reader.events.filter((e): e is TapOpen => e.type === 'open').map((e) => e.remoteAddress));
  let text = '';
  const reads = new Map<number, number[]>();
  for (const e of reader.events) {
    if (e.type !== 'read' && e.type !== 'write') continue;
    const bytes = Buffer.from(e.data, 'base64');
    text += bytes.toString('latin1');
    if (e.type === 'read') reads.set(e.conn, [...(reads.get(e.conn) ?? []), bytes.length]);
  }
  return { addresses, text, reads };
}

describe('the tap in classroom mode', () => {
  it('shows a student only its own connections, with Cookie, Authorization and Set-Cookie masked; the presenter all of it', async () => {
    const [a, b, teacher, teacherByCookie] = await Promise.all([
      subscribe(server, studentA),
      subscribe(server, studentB),
      subscribe(server, '127.0.0.1', { authorization: `Bearer ${token}` }),
      subscribe(server, '127.0.0.1', { cookie: `${presenterCookie}=${token}` }),
    ]);
    const tps = 'text=hi&tps=1000&ttft=0';
    // Student A's head arrives byte by byte: a field cut across reads is masked all the same.
    const answers = await Promise.all([
      rawRequest(server, studentA, head(`/api/stream/sse?${tps}&run=a1`, 'alpha-secret'), 200),
      rawRequest(server, studentB, head(`/api/stream/http?${tps}&run=b1`, 'bravo-secret')),
      rawRequest(server, studentA, head('/api/test/login', 'alpha-again')),
    ]);
    expect(answers[0]).toContain('event: done');
    expect(answers[2]).toContain('Set-Cookie: streamscope_session=fresh-secret');
    // The connections' close events are the last thing the tap tells.
    await until(
      () => seen(teacher).addresses.size === 2 && teacher.events.filter((e) => e.type === 'close').length === 3,
      'the presenter to see all three connections close',
    );
    await until(
      () => a.events.filter((e) => e.type === 'close').length === 2 && b.events.filter((e) => e.type === 'close').length === 1,
      'the students to see their own closes',
    );
    for (const reader of [a, b, teacher, teacherByCookie]) reader.stop();

    const ofA = seen(a);
    expect(ofA.addresses).toEqual(new Set([studentA]));
    expect(ofA.text).toContain('GET /api/stream/sse?');
    expect(ofA.text).toContain(`Cookie: ${'*'.repeat('streamscope_session=alpha-secret'.length)}\r\n`);
    expect(ofA.text).toContain(`Authorization: ${'*'.repeat('Bearer alpha-secret-bearer'.length)}\r\n`);
    expect(ofA.text).toContain(`Set-Cookie: ${'*'.repeat('streamscope_session=fresh-secret; HttpOnly'.length)}\r\n`);
    expect(ofA.text).not.toMatch(/alpha-secret|alpha-again|fresh-secret|bravo/);
    // The head really did arrive in pieces.
    expect(Math.max(...[...ofA.reads.values()].map((sizes) => sizes.length))).toBeGreaterThan(1);

    const ofB = seen(b);
    expect(ofB.addresses).toEqual(new Set([studentB]));
    expect(ofB.text).not.toMatch(/alpha|bravo-secret/);
    expect(b.events.every((e) => e.type === 'dropped' || ('run' in e && e.run === 'b1'))).toBe(true);

    const ofTeacher = seen(teacher);
    expect(ofTeacher.addresses).toEqual(new Set([studentA, studentB]));
    for (const secret of ['streamscope_session=alpha-secret', 'Bearer alpha-secret-bearer', 'bravo-secret', 'fresh-secret'])
      expect(ofTeacher.text).toContain(secret);
    expect(seen(teacherByCookie).text).toBe(ofTeacher.text);

    // Masking keeps every length: the student's reads are the presenter's, byte count for byte count.
    for (const [conn, sizes] of ofA.reads) expect(ofTeacher.reads.get(conn)).toEqual(sizes);
    expect(ofA.text.length).toBeLessThan(ofTeacher.text.length);
  });

  it('in loopback mode, every reader sees every connection, unmasked', async () => {
    const reader = await subscribe(loopback, studentA);
    await rawRequest(loopback, studentB, head('/api/stream/http?text=hi&tps=1000&ttft=0', 'bravo-secret'));
    await until(() => reader.events.some((e) => e.type === 'close'), 'the close');
    reader.stop();
    expect(seen(reader).addresses).toEqual(new Set([studentB]));
    expect(seen(reader).text).toContain('Cookie: streamscope_session=bravo-secret\r\n');
  });

  it("refuses the balanced instances' tap (every student's traffic, from one address) to anyone but the presenter", async () => {
    const student = await fetch(`${server.url}/lb/api/tap`);
    expect(student.status).toBe(403);
    expect(student.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await student.json()) as { detail: string }).detail).toContain('only the presenter');
    // The presenter passes the guard (no lab is mounted here, so nothing answers after it).
    expect((await fetch(`${server.url}/lb/api/tap`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    expect((await fetch(`${loopback.url}/lb/api/tap`)).status).toBe(404);
  });
});

describe('the rest of classroom safety', () => {
  it('refuses WebSocket upgrades from a foreign origin (403), takes its own', async () => {
    const foreign = new WebSocket(`ws://127.0.0.1:${server.port}/api/stream/ws`, { origin: 'http://evil.example', localAddress: studentA });
    const status = await new Promise<number>((resolve, reject) => {
      foreign.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      foreign.once('open', () => reject(new Error('a foreign origin got a WebSocket')));
      foreign.on('error', () => {});
    });
    expect(status).toBe(403);
    foreign.terminate();

    const own = new WebSocket(`ws://127.0.0.1:${server.port}/api/stream/ws`, { origin: `http://127.0.0.1:${server.port}`, localAddress: studentA });
    const messages: string[] = [];
    own.on('open', () => own.send(JSON.stringify({ type: 'start', text: 'hi', tps: 1000, ttft: 0 })));
    own.on('message', (data) => messages.push(String(data)));
    expect(await new Promise<number>((resolve) => own.on('close', resolve))).toBe(1000);
    expect(messages.at(-1)).toContain('"type":"done"');
  });

  it('caps open streams per address with 429 problem+json (and close 1008 on a WebSocket); another address is not affected', async () => {
    const open = await Promise.all([0, 1].map(() => openSse(studentA)));
    const over = await getFrom(studentA, '/api/stream/sse?text=hi&tps=1000&ttft=0');
    expect(over.status).toBe(429);
    expect(over.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(over.body)).toMatchObject({ status: 429, detail: expect.stringContaining('the limit is 2') });

    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/stream/ws`, { localAddress: studentA });
    const messages: string[] = [];
    ws.on('open', () => ws.send(JSON.stringify({ type: 'start', text: 'hi', tps: 1000, ttft: 0 })));
    ws.on('message', (data) => messages.push(String(data)));
    expect(await new Promise<number>((resolve) => ws.on('close', resolve))).toBe(1008);
    expect(messages[0]).toContain('the limit is 2');

    expect((await getFrom(studentB, '/api/stream/http?text=hi&tps=1000&ttft=0')).status).toBe(200);
    for (const req of open) req.destroy();
    await until(() => server.limiter.open === 0, 'the streams to be released');
    expect((await getFrom(studentA, '/api/stream/http?text=hi&tps=1000&ttft=0')).status).toBe(200);
  });

  it('sends the Content-Security-Policy with the page only where a page is served', async () => {
    // No static dir in these servers: API answers carry no policy (the page's is tested in Chromium).
    const api = await fetch(`${server.url}/api/prompts`);
    expect(api.headers.get('content-security-policy')).toBeNull();
    expect(contentSecurityPolicy).toContain("default-src 'self'");
    expect(contentSecurityPolicy).not.toContain('unsafe');
  });
});

/** Opens an SSE stream that will not end by itself; resolves once its head arrived. */
function openSse(localAddress: string): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: server.port, path: '/api/stream/sse?text=wait&tps=1&ttft=30000', localAddress, agent: false }, (res) => {
      expect(res.statusCode).toBe(200);
      res.on('error', () => {});
      resolve(req);
    });
    req.on('error', () => {});
    req.once('error', reject);
  });
}

function getFrom(localAddress: string, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: server.port, path, localAddress, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => (body += text));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }));
      })
      .on('error', reject);
  });
}
