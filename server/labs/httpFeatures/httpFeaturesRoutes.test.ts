import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { listen, type Listening } from '../../testing/listen.ts';
import { rawGet } from '../../testing/rawHttp.ts';
import { httpFeaturesRoutes } from './httpFeaturesRoutes.ts';
import { HttpLab } from './httpLab.ts';
import type { AccessLogEntry } from '../../../shared/accessLog.ts';

const printed: string[] = [];
const lab = new HttpLab({ accessLog: { print: (line) => printed.push(line) } });
let server: Listening;
beforeAll(async () => {
  server = await listen({ routes: (app, ctx) => app.use(httpFeaturesRoutes(ctx, lab)) });
  // What app.ts's upgrade listener will do first; here prepended to the real one.
  server.server.prependListener('upgrade', lab.logUpgrade);
});
afterAll(() => server.close());

const text = 'Plain HTTP, so the middleware sees it.';
const fast = `text=${encodeURIComponent(text)}&tps=1000&ttft=0`;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over node:http, which sends any header (Origin included) as given. */
function request(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function login(): Promise<{ token: string; cookie: string; setCookie: string }> {
  const answer = await request('POST', '/api/labs/http/login');
  expect(answer.status).toBe(200);
  const setCookie = answer.headers['set-cookie']?.[0] ?? '';
  const { token } = JSON.parse(answer.body) as { token: string };
  return { token, cookie: setCookie.split(';')[0]!, setCookie };
}

/** The entries recorded after `seq` for `path`, once the server has written them (on close). */
async function entriesFor(path: string, after: number, count = 1): Promise<AccessLogEntry[]> {
  const find = (): AccessLogEntry[] => lab.accessLog.entries.filter((e) => e.seq > after && e.path === path);
  await expect.poll(() => find().length).toBeGreaterThanOrEqual(count);
  return find();
}
const lastSeq = (): number => lab.accessLog.entries.at(-1)?.seq ?? 0;

describe('auth middleware in front of the streams', () => {
  it.each(['/api/labs/http/sse', '/api/labs/http/buffered'])('%s without a session is 401 problem+json with a challenge', async (path) => {
    const answer = await request('GET', `${path}?${fast}`);
    expect(answer.status).toBe(401);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="streamscope"');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 401, detail: expect.stringContaining('POST /api/labs/http/login') });
  });

  it('login sets an HttpOnly SameSite=Lax session cookie and returns a bearer token', async () => {
    const { token, setCookie } = await login();
    expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(setCookie).toBe(`streamscope_session=${token}; Path=/; HttpOnly; SameSite=Lax`);
  });

  it('lets the SSE stream through with the cookie, and the buffered reply with the bearer token', async () => {
    const { token, cookie } = await login();
    const sse = await request('GET', `/api/labs/http/sse?${fast}`, { Cookie: cookie });
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toBe('text/event-stream');
    expect(sse.headers['cache-control']).toBe('no-cache');
    expect(sse.body).toContain('event: done');
    const buffered = await request('GET', `/api/labs/http/buffered?${fast}`, { Authorization: `Bearer ${token}` });
    expect(buffered.status).toBe(200);
    expect((JSON.parse(buffered.body) as { text: string }).text).toBe(text);
  });

  it('refuses an unknown bearer token with error="invalid_token"', async () => {
    const answer = await request('GET', `/api/labs/http/sse?${fast}`, { Authorization: 'Bearer not-a-session' });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="streamscope", error="invalid_token"');
  });

  it('tells the page whether its cookie is a live session', async () => {
    const signedIn = async (headers: Record<string, string> = {}) =>
      JSON.parse((await request('GET', '/api/labs/http/session', headers)).body).signedIn as boolean;
    expect(await signedIn()).toBe(false);
    const { cookie } = await login();
    expect(await signedIn({ Cookie: cookie })).toBe(true);
    await request('POST', '/api/labs/http/logout', { Cookie: cookie });
    expect(await signedIn({ Cookie: cookie })).toBe(false);
  });

  it('logout clears the cookie and ends the session', async () => {
    const { cookie } = await login();
    const answer = await request('POST', '/api/labs/http/logout', { Cookie: cookie });
    expect(answer.status).toBe(204);
    expect(answer.headers['set-cookie']?.[0]).toMatch(/^streamscope_session=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/);
    expect((await request('GET', `/api/labs/http/sse?${fast}`, { Cookie: cookie })).status).toBe(401);
  });
});

describe('access log', () => {
  it('records each request when it ends: method, path, status, bytes, ms, and how it was authenticated', async () => {
    const { token, cookie } = await login();
    const after = lastSeq();
    await request('GET', `/api/labs/http/sse?${fast}`);
    const sse = await request('GET', `/api/labs/http/sse?${fast}`, { Cookie: cookie });
    const buffered = await request('GET', `/api/labs/http/buffered?${fast}`, { Authorization: `Bearer ${token}` });

    const sseEntries = await entriesFor('/api/labs/http/sse', after, 2);
    expect(sseEntries.map((e) => [e.status, e.auth, e.cookie])).toEqual([
      [401, 'none', false],
      [200, 'cookie', true],
    ]);
    const [bufferedEntry] = await entriesFor('/api/labs/http/buffered', after);
    expect(bufferedEntry).toMatchObject({ kind: 'http', method: 'GET', status: 200, auth: 'bearer', cookie: false, completed: true });
    // Bytes on the wire: the head and the body (and, for the stream, its chunk framing).
    expect(bufferedEntry!.bytes).toBeGreaterThan(Buffer.byteLength(buffered.body));
    expect(sseEntries[1]!.bytes).toBeGreaterThan(Buffer.byteLength(sse.body));
    expect(bufferedEntry!.ms).toBeGreaterThanOrEqual(0);
    expect(printed).toContainEqual(expect.stringMatching(/ access GET \/api\/labs\/http\/buffered 200 \d+B \d+ms auth=bearer$/));
    expect(printed).toContainEqual(expect.stringMatching(/ access GET \/api\/labs\/http\/sse 401 \d+B \d+ms auth=none$/));
  });

  it('logs a stream the client left as not completed', async () => {
    const after = lastSeq();
    const { cookie } = await login();
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/labs/http/sse?text=${encodeURIComponent(text)}&tps=5&ttft=0`, {
      headers: { Cookie: cookie },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    controller.abort();
    const [entry] = await entriesFor('/api/labs/http/sse', after);
    expect(entry).toMatchObject({ status: 200, auth: 'cookie', completed: false });
    expect(printed.at(-1)).toMatch(/\(client closed\)$/);
  });

  it('sees the WebSocket handshake only through the upgrade hook, and none of the messages after it', async () => {
    const { cookie } = await login();
    const after = lastSeq();
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/stream/ws`, { headers: { Cookie: cookie } });
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'start', text: 'one two three', tps: 1000, ttft: 0 })));
      ws.on('message', (data) => messages.push(String(data)));
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    expect(messages.length).toBeGreaterThan(3);
    const entries = lab.accessLog.entries.filter((e) => e.seq > after);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: 'upgrade', method: 'GET', path: '/api/stream/ws', status: null, bytes: null, auth: 'cookie', cookie: true });
    expect(printed.at(-1)).toMatch(/ access GET \/api\/stream\/ws upgrade auth=cookie cookie \(the WebSocket messages after the handshake are not logged\)$/);
  });

  it('streams over GET /api/labs/http/log: the recent entries first, then each new one live', async () => {
    await request('GET', `/api/labs/http/cached?${fast}&seed=77`, { 'If-None-Match': '*' });
    const known = lastSeq();
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/labs/http/log`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e) });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const readUntil = async (done: () => boolean): Promise<void> => {
      while (!done()) {
        const { value } = await reader.read();
        parser.feed(decoder.decode(value, { stream: true }));
      }
    };
    await readUntil(() => events.some((e) => e.id === String(known)));
    expect(events.every((e) => e.event === 'entry')).toBe(true);
    expect(events.map((e) => Number(e.id))).toEqual(lab.accessLog.entries.filter((e) => e.seq <= known).map((e) => e.seq));

    await request('GET', '/api/labs/http/cached?tps=1000&ttft=0', { 'If-None-Match': '*' });
    await readUntil(() => events.some((e) => Number(e.id) > known));
    const live = JSON.parse(events.at(-1)!.data) as AccessLogEntry;
    expect(live).toMatchObject({ path: '/api/labs/http/cached', status: 304, auth: 'none' });
    controller.abort();
  });

  it('keeps only the last 200 entries', () => {
    const small = new HttpLab({ accessLog: { size: 3, print: null } });
    for (let i = 0; i < 5; i++)
      small.accessLog.record({ kind: 'http', method: 'GET', path: `/${i}`, status: 200, bytes: 1, ms: 1, auth: 'none', cookie: false, completed: true });
    expect(small.accessLog.entries.map((e) => e.path)).toEqual(['/2', '/3', '/4']);
    expect(new HttpLab({ accessLog: { print: null } }).accessLog.entries).toEqual([]);
  });
});

describe('caching headers', () => {
  const path = `/api/labs/http/cached?${fast}`;

  it('answers the buffered reply with a strong ETag and private, max-age=0, must-revalidate', async () => {
    const first = await request('GET', path);
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('private, max-age=0, must-revalidate');
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect((JSON.parse(first.body) as { text: string }).text).toBe(text);
    // Same settings, same tag; other pacing, another tag.
    expect((await request('GET', path)).headers.etag).toBe(first.headers.etag);
    expect((await request('GET', `${path}&seed=2`)).headers.etag).not.toBe(first.headers.etag);
  });

  it('answers 304 Not Modified with no body on a matching If-None-Match', async () => {
    const etag = (await request('GET', path)).headers.etag!;
    for (const tag of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const answer = await rawGet(`${server.url}${path}`, { 'If-None-Match': tag });
      expect(answer.status).toBe(304);
      expect(answer.headers.etag).toBe(etag);
      expect(answer.headers['cache-control']).toBe('private, max-age=0, must-revalidate');
      expect(answer.headers['content-length']).toBeUndefined();
      expect(answer.headers['transfer-encoding']).toBeUndefined();
      expect(answer.body.length).toBe(0);
    }
    expect((await request('GET', path, { 'If-None-Match': '"other"' })).status).toBe(200);
  });

  it('leaves the streams at no-cache, and the buffered stream at no-store', async () => {
    const { token } = await login();
    const auth = { Authorization: `Bearer ${token}` };
    expect((await request('GET', `/api/labs/http/sse?${fast}`, auth)).headers['cache-control']).toBe('no-cache');
    expect((await request('GET', `/api/labs/http/cors/sse?${fast}`)).headers['cache-control']).toBe('no-cache');
    expect((await request('GET', `/api/labs/http/buffered?${fast}`, auth)).headers['cache-control']).toBe('no-store');
  });

  it('checks the reply settings like every stream endpoint', async () => {
    const answer = await request('GET', '/api/labs/http/cached?tps=fast');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ param: 'tps' });
  });
});
