/** `GET /api/inspect/sse` over real sockets: relayed unchanged, both legs tapped, guarded. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { listen, type Listening } from '../testing/listen.ts';
import { crlfStream, errorUpstream, pacedEvents, pacedGapMs, type ErrorUpstream } from '../testing/errorUpstream.ts';
import { subscribeTap } from '../testing/tapReader.ts';
import { until } from '../testing/until.ts';
import { rawGet, dechunk, payloadAfterEachRead } from '../testing/rawHttp.ts';
import { Presenter } from '../classroom/presenter.ts';
import type { TapEvent } from '../../shared/tap.ts';

let target: ErrorUpstream;
let server: Listening;
let classroom: Listening;
let tight: Listening;
const token = 'the-presenters-token';

beforeAll(async () => {
  target = await errorUpstream();
  [server, classroom, tight] = await Promise.all([
    listen(),
    listen({ classroom: true, presenter: new Presenter(token) }),
    listen({ inspectLimits: { maxBytes: 20_000, headMs: 300 } }),
  ]);
});
afterAll(() => Promise.all([server.close(), classroom.close(), tight.close(), target.close()]));

const inspect = (at: Listening, params: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> => {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const value of [v].flat()) query.append(k, value);
  return fetch(`${at.url}/api/inspect/sse?${query}`, { headers });
};

async function problem(response: Response): Promise<{ status: number; param?: string; detail: string }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return { status: response.status, ...((await response.json()) as { param?: string; detail: string }) };
}

describe('GET /api/inspect/sse', () => {
  it("relays any server's event stream unchanged: CRLF, multi-line data, comments, no ids", async () => {
    const response = await inspect(server, { url: `${target.url}/crlf` });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe(crlfStream);
  });

  it('relays a gzipped stream as it came (Content-Encoding and all)', async () => {
    const raw = await rawGet(`${server.url}/api/inspect/sse?url=${encodeURIComponent(`${target.url}/gzip`)}`);
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(dechunk(raw.body).payload).toString()).toBe(crlfStream);
  });

  it("replays a POST like an LLM API's, with its body and headers", async () => {
    const response = await inspect(server, {
      url: `${server.url}/v1/chat/completions?tps=1000&ttft=0`,
      method: 'POST',
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi there' }], stream: true }),
      header: ['Authorization: Bearer sk-inspected'],
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('chat.completion.chunk');
    expect(text).toMatch(/data: \[DONE\]\n\n$/);
  });

  it('taps both legs under the run: the page\'s request, and Streamscope\'s own as an outgoing "inspect" leg', async () => {
    const tap = await subscribeTap(server.url, 'inspect-run');
    await (await inspect(server, { url: `${target.url}/crlf`, run: 'inspect-run', header: 'X-Api-Key: sk-visible-on-loopback' })).text();
    await until(() => tap.events.filter((e) => e.type === 'close').length >= 2, 'both legs to close');
    tap.stop();
    const requests = tap.events.filter((e): e is Extract<TapEvent, { type: 'request' }> => e.type === 'request');
    expect(requests.map((r) => r.outgoing ?? 'incoming')).toEqual(['incoming', 'inspect']);
    const leg = requests[1]!;
    expect(leg).toMatchObject({ method: 'GET', path: '/crlf', host: new URL(target.url).host });
    const bytes = (type: string) =>
      Buffer.concat(
        tap.events.filter((e) => e.type === type && 'conn' in e && e.conn === leg.conn).map((e) => Buffer.from((e as { data: string }).data, 'base64')),
      ).toString();
    expect(bytes('write')).toMatch(/^GET \/crlf HTTP\/1.1\r\n/);
    expect(bytes('write')).toContain('X-Api-Key: sk-visible-on-loopback');
    expect(bytes('read')).toContain(crlfStream);
  });

  it('follows a redirect to the same host, and refuses one to another host unless asked', async () => {
    expect(await (await inspect(server, { url: `${target.url}/redirect-here` })).text()).toBe(crlfStream);
    const away = await problem(await inspect(server, { url: `${target.url}/redirect-away` }));
    expect(away).toMatchObject({ status: 502, param: 'redirects' });
    expect(away.detail).toMatch(/another host.*redirects=any/);
    const relayed = await fetch(`${server.url}/api/inspect/sse?${new URLSearchParams({ url: `${target.url}/redirect-away`, redirects: 'none' })}`, {
      redirect: 'manual',
    });
    expect(relayed.status).toBe(302);
  });

  it('refuses what it must, each with a problem+json naming why', async () => {
    expect(await problem(await inspect(server, { url: 'ftp://127.0.0.1/' }))).toMatchObject({ status: 400, param: 'url' });
    expect(await problem(await inspect(server, {}))).toMatchObject({ status: 400, param: 'url' });
    const metadata = await problem(await inspect(server, { url: 'http://169.254.169.254/latest/meta-data/' }));
    expect(metadata).toMatchObject({ status: 403, param: 'url' });
    expect(metadata.detail).toMatch(/metadata/);
    const closed = await problem(await inspect(server, { url: 'http://127.0.0.1:9/' }));
    expect(closed).toMatchObject({ status: 502, param: 'url' });
    expect(closed.detail).toMatch(/connection refused/);
    const unresolvable = await problem(await inspect(server, { url: 'http://no-such-host.invalid/' }));
    expect(unresolvable.status).toBe(502);
  });

  it('cuts a stream past the size limit, and answers 504 when no head comes in time', async () => {
    const raw = await rawGet(`${tight.url}/api/inspect/sse?url=${encodeURIComponent(`${target.url}/big`)}`);
    expect(raw.status).toBe(200);
    const { payload, complete } = dechunk(raw.body);
    expect(complete).toBe(false);
    expect(payload.length).toBeLessThanOrEqual(20_000);
    // The upstream's `slow` chat answers its head at once; a POST to a path that never answers needs a server that hangs.
    const hang = await import('node:net').then(
      (net) =>
        new Promise<import('node:net').Server>((resolve) => {
          const s = net.createServer((socket) => socket.resume());
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    );
    const port = (hang.address() as import('node:net').AddressInfo).port;
    const timeout = await problem(await inspect(tight, { url: `http://127.0.0.1:${port}/` }));
    expect(timeout.status).toBe(504);
    expect(timeout.detail).toMatch(/no response head/);
    await new Promise((resolve) => hang.close(resolve));
  });

  it('a buffering server: the inspect leg reads the whole body at once, at the end; a streaming one spreads it out', async () => {
    const inspectUrl = (path: string, run: string) => `${server.url}/api/inspect/sse?${new URLSearchParams({ url: `${target.url}${path}`, run })}`;
    const whole = pacedEvents.join('');
    const tap = await subscribeTap(server.url, 'buffering');
    const buffered = await rawGet(inspectUrl('/buffered', 'buffering'));
    const paced = await rawGet(inspectUrl('/paced', 'buffering'));
    await until(() => tap.events.filter((e) => e.type === 'close').length >= 4, 'the four legs to close');
    tap.stop();
    // Streamscope's own reads of each inspected server that carry events.
    const legReads = (path: string): string[] => {
      const conn = tap.events.find(
        (e): e is Extract<TapEvent, { type: 'request' }> => e.type === 'request' && e.outgoing === 'inspect' && e.path === path,
      )!.conn;
      return tap.events
        .filter((e) => e.type === 'read' && e.conn === conn)
        .map((e) => Buffer.from((e as { data: string }).data, 'base64').toString())
        .filter((text) => text.includes('data: '));
    };
    // Buffered: one read holds every event (and the head with its Content-Length); streamed: one read per event.
    expect(legReads('/buffered')).toHaveLength(1);
    expect(legReads('/buffered')[0]).toMatch(new RegExp(`^HTTP/1.1 200 OK\\r\\n[^]*Content-Length: ${whole.length}\\r\\n[^]*${whole}$`));
    expect(legReads('/paced')).toHaveLength(pacedEvents.length);

    // The page gets what the inspected server sent, as it sent it: nothing, then everything…
    expect(buffered.headers['content-length']).toBe(String(whole.length));
    expect(buffered.body.toString()).toBe(whole);
    const made = pacedGapMs * pacedEvents.length;
    expect(buffered.reads[0]!.t).toBeGreaterThanOrEqual(made - 20);
    expect(buffered.reads.at(-1)!.t - buffered.reads[0]!.t).toBeLessThan(pacedGapMs);
    // …or each event as it was made.
    expect(dechunk(paced.body).payload.toString()).toBe(whole);
    const firstSeen = (event: string) => paced.reads[payloadAfterEachRead(paced).findIndex((p) => p.includes(event))]!.t;
    expect(firstSeen(pacedEvents[0]!)).toBeLessThan(made / 2);
    expect(firstSeen(pacedEvents.at(-1)!) - firstSeen(pacedEvents[0]!)).toBeGreaterThanOrEqual(pacedGapMs * (pacedEvents.length - 2));
  });

  it('waits for a server slow to its first byte while it is within the head limit, and answers 504 past it', async () => {
    // `tight` allows 300 ms for the head (the default is 15 s): 150 ms is slow but in time, 900 ms is not.
    const started = performance.now();
    const slow = await inspect(tight, { url: `${target.url}/slow-head?ms=150` });
    expect(slow.status).toBe(200);
    expect(await slow.text()).toBe('data: at last\n\n');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    const late = await problem(await inspect(tight, { url: `${target.url}/slow-head?ms=900` }));
    expect(late).toMatchObject({ status: 504, param: 'url' });
    expect(late.detail).toMatch(/no response head within 0.3 s/);
  });

  it('a server that fails mid-stream: the page gets the events that came, then the same cut (no last chunk)', async () => {
    const raw = await rawGet(`${server.url}/api/inspect/sse?url=${encodeURIComponent(`${target.url}/cut-sse`)}`);
    expect(raw.status).toBe(200);
    expect(raw.headers['transfer-encoding']).toBe('chunked');
    const { payload, complete } = dechunk(raw.body);
    expect(payload.toString()).toBe('data: one\n\ndata: two\n\n');
    expect(complete).toBe(false);
  });

  it('in classroom mode: only the presenter; link-local refused', async () => {
    const student = await problem(await inspect(classroom, { url: `${target.url}/crlf` }));
    expect(student.status).toBe(403);
    expect(student.detail).toMatch(/only the presenter/);
    const presenter = { authorization: `Bearer ${token}` };
    expect(await (await inspect(classroom, { url: `${target.url}/crlf` }, presenter)).text()).toBe(crlfStream);
    const linkLocal = await problem(await inspect(classroom, { url: 'http://169.254.10.10/' }, presenter));
    expect(linkLocal).toMatchObject({ status: 403, param: 'url' });
    expect(linkLocal.detail).toMatch(/link-local/);
    expect((await problem(await inspect(classroom, { url: 'http://[fe80::1]/' }, presenter))).detail).toMatch(/link-local/);
  });

  it('in classroom mode a student tap sees the inspected request with its Authorization and x-api-key masked', async () => {
    // The presenter inspects; a tap without the token (the same loopback address) sees the masked bytes.
    const tap = await subscribeTap(classroom.url, 'masked-run');
    await (
      await inspect(
        classroom,
        { url: `${target.url}/crlf`, run: 'masked-run', header: ['Authorization: Bearer sk-inspect-secret', 'x-api-key: sk-ant-secret'] },
        { authorization: `Bearer ${token}` },
      )
    ).text();
    await until(
      () => tap.events.some((e) => e.type === 'request' && e.outgoing === 'inspect') && tap.events.filter((e) => e.type === 'close').length >= 2,
      'the legs',
    );
    tap.stop();
    const all = tap.events.map((e) => ('data' in e ? Buffer.from(e.data, 'base64').toString() : '')).join('');
    expect(all).toContain('GET /crlf HTTP/1.1');
    expect(all).toMatch(/header=Authorization%3A\*{20,}&header=x-api-key%3A\*{10,} HTTP\/1.1\r\n/);
    expect(all).toContain(`Authorization: ${'*'.repeat('Bearer sk-inspect-secret'.length)}\r\n`);
    expect(all).not.toContain('sk-inspect-secret');
    expect(all).not.toContain('sk-ant-secret');
  });

  it('a client that vanishes aborts the inspected request: nothing left open', async () => {
    const before = target.closedRequests;
    const requests = target.requests.length;
    const controller = new AbortController();
    const query = new URLSearchParams({ url: `${target.url}/v1/chat/completions`, method: 'POST', body: JSON.stringify({ model: 'slow' }) });
    const response = await fetch(`${server.url}/api/inspect/sse?${query}`, { signal: controller.signal });
    expect(response.status).toBe(200);
    await until(() => target.requests.length > requests, 'the inspected request');
    controller.abort();
    await until(() => target.closedRequests > before, 'the inspected request to close');
  });
});
