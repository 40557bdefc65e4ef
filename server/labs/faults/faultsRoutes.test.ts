import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { listen, type Listening } from '../../testing/listen.ts';
import { replyFor } from '../../model/reply.ts';
import { parseSettings } from '../../model/settings.ts';
import { faultsRoutes } from './faultsRoutes.ts';
import { dechunk, rawGet } from '../../testing/rawHttp.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen({ retryMs: 20, routes: (app, ctx) => app.use(faultsRoutes(ctx)) });
});
afterAll(() => server.close());

const text = 'Streaming lets the reply appear while it is generated, token by token.';
const expected = replyFor(parseSettings({ text }));
const fast = `text=${encodeURIComponent(text)}&tps=1000&ttft=0`;

/** The SSE events in a payload, as { id, event, data } with data JSON-parsed. */
function events(payload: Buffer | string): { id?: string; event?: string; data: unknown }[] {
  return payload
    .toString()
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const fields = Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
      return { id: fields.id, event: fields.event, data: JSON.parse(fields.data ?? 'null') };
    });
}
const tokenTexts = (payload: Buffer | string): string[] =>
  events(payload)
    .filter((e) => e.event === 'token')
    .map((e) => (e.data as { text: string }).text);

describe('parameters', () => {
  it.each([
    ['/api/labs/faults/sse?drop=0', 'drop'],
    ['/api/labs/faults/sse?drop=two', 'drop'],
    ['/api/labs/faults/sse?drop=1&drop=2', 'drop'],
    ['/api/labs/faults/sse?throttle=0', 'throttle'],
    ['/api/labs/faults/sse?latency=-5', 'latency'],
    ['/api/labs/faults/sse?tps=0', 'tps'],
    ['/api/labs/faults/sse?flush=true', 'flush'],
    ['/api/labs/faults/buffering-proxy/sse?holdBytes=1e3', 'holdBytes'],
    ['/api/labs/faults/buffering-proxy/sse?honourAccel=yes', 'honourAccel'],
    ['/api/labs/faults/compressed/sse?flush=1', 'flush'],
    ['/api/labs/faults/compressed/sse?drop=3', 'drop'],
    ['/api/labs/faults/slow/sse?throttle=0', 'throttle'],
    ['/api/labs/faults/accel-proxy/sse?honourAccel=1', 'honourAccel'],
    ['/api/labs/faults/gzip/sse?flush=true', 'flush'],
    ['/api/labs/faults/gzip-flushed/sse?flush=false', 'flush'],
  ])('%s is a 400 naming "%s"', async (path, param) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as { param: string; detail: string };
    expect(problem.param).toBe(param);
    expect(problem.detail).toContain(`"${param}"`);
  });
});

describe('GET /api/labs/faults/sse?drop=N', () => {
  it('sends exactly N tokens, then the connection closes with no terminating chunk', async () => {
    const response = await rawGet(`${server.url}/api/labs/faults/sse?${fast}&drop=5`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream');
    expect(response.ended).toBe('end');
    const { payload, complete } = dechunk(response.body);
    expect(complete).toBe(false);
    const got = events(payload);
    expect(got.map((e) => e.id)).toEqual(['0', '1', '2', '3', '4']);
    expect(got.some((e) => e.event === 'done')).toBe(false);
  });

  it('resumes after Last-Event-ID: the two connections give exactly the full text', async () => {
    const first = await rawGet(`${server.url}/api/labs/faults/sse?${fast}&drop=5`);
    const second = await rawGet(`${server.url}/api/labs/faults/sse?${fast}`, { 'Last-Event-ID': '4' });
    const { payload, complete } = dechunk(second.body);
    expect(complete).toBe(true);
    expect(events(payload)[0]?.id).toBe('5');
    expect([...tokenTexts(dechunk(first.body).payload), ...tokenTexts(payload)].join('')).toBe(expected.text);
  });

  it('is survived by EventSource, which reconnects with Last-Event-ID until the reply is whole', async () => {
    const ids: string[] = [];
    const texts: string[] = [];
    let connections = 0;
    await new Promise<void>((resolve, reject) => {
      const source = new EventSource(`${server.url}/api/labs/faults/sse?${fast}&drop=4`, {
        fetch: (url, init) => {
          connections++;
          return fetch(url, init);
        },
      });
      source.addEventListener('token', (e) => {
        ids.push(e.lastEventId);
        texts.push((JSON.parse(e.data) as { text: string }).text);
      });
      source.addEventListener('done', () => {
        source.close();
        resolve();
      });
      setTimeout(() => {
        source.close();
        reject(new Error(`no done event after ${connections} connections and ${ids.length} tokens`));
      }, 5000);
    });
    expect(texts.join('')).toBe(expected.text);
    expect(ids).toEqual(expected.tokens.map((_, i) => String(i)));
    // Each connection carries 4 tokens; the last one also the done event.
    expect(connections).toBe(Math.floor(expected.tokens.length / 4) + 1);
  });
});

describe('GET /api/labs/faults/sse?throttle=B&latency=ms', () => {
  it('slices the same bytes into chunks of at most B/20 bytes, no faster than B bytes a second', async () => {
    const short = 'text=one%20two%20three&tps=1000&ttft=0';
    const plain = dechunk((await rawGet(`${server.url}/api/labs/faults/sse?${short}`)).body).payload;
    const started = performance.now();
    const throttled = await rawGet(`${server.url}/api/labs/faults/sse?${short}&throttle=1000`);
    const elapsed = performance.now() - started;
    const { payload, complete } = dechunk(throttled.body);
    expect(complete).toBe(true);
    expect(payload.toString()).toBe(plain.toString());
    const sizes = [...throttled.body.toString('latin1').matchAll(/(?:^|\r\n)([0-9a-f]+)\r\n/g)].map((m) => parseInt(m[1]!, 16));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(50);
    // More chunks than writes: the events were cut into pieces.
    expect(sizes.filter((n) => n > 0).length).toBeGreaterThan(events(plain).length + 1);
    // A lower bound only: the throttle can make a stream slower, never faster.
    expect(elapsed).toBeGreaterThanOrEqual(((payload.length - 50) / 1000) * 1000);
  });

  it('holds every write back by the latency', async () => {
    const started = performance.now();
    const response = await rawGet(`${server.url}/api/labs/faults/sse?text=one%20two&tps=1000&ttft=0&latency=60`);
    const elapsed = performance.now() - started;
    const { payload, complete } = dechunk(response.body);
    expect(complete).toBe(true);
    expect(tokenTexts(payload).join('')).toBe('one two');
    // retry + 2 tokens + done: four writes queued one behind the other.
    expect(elapsed).toBeGreaterThanOrEqual(4 * 60 - 5);
  });
});

describe('GET /api/labs/faults/slow/sse', () => {
  /** The sizes of the chunks of a raw chunked body, the last (0) left out. */
  const chunkSizes = (body: Buffer): number[] =>
    [...body.toString('latin1').matchAll(/(?:^|\r\n)([0-9a-f]+)\r\n/g)].map((m) => parseInt(m[1]!, 16)).filter((n) => n > 0);

  it('is a slow link by default: 1,000 B/s in 50-byte slices, the same bytes as the healthy stream', async () => {
    const short = 'text=one%20two%20three&tps=1000&ttft=0';
    const plain = dechunk((await rawGet(`${server.url}/api/labs/faults/sse?${short}`)).body).payload;
    const slow = await rawGet(`${server.url}/api/labs/faults/slow/sse?${short}`);
    expect(dechunk(slow.body).payload.toString()).toBe(plain.toString());
    const sizes = chunkSizes(slow.body);
    expect(Math.max(...sizes)).toBe(50);
    // Every token event here (51 or 52 bytes) is cut in two.
    expect(sizes.length).toBeGreaterThan(2 * events(plain).length);
  });

  it('takes the same parameters, which override its defaults', async () => {
    const fastLink = await rawGet(`${server.url}/api/labs/faults/slow/sse?text=one%20two&tps=1000&ttft=0&throttle=10000000&latency=0`);
    expect(Math.max(...chunkSizes(fastLink.body))).toBeGreaterThan(50);
    expect(tokenTexts(dechunk(fastLink.body).payload).join('')).toBe('one two');
  });
});

describe('cleanup', () => {
  it('releases every stream: cut, throttled, proxied or left by the client', async () => {
    const controller = new AbortController();
    const slow = `text=${encodeURIComponent(text)}&tps=5&ttft=0`;
    const responses = await Promise.all(
      [`/api/labs/faults/sse?${slow}&throttle=100`, `/api/labs/faults/buffering-proxy/sse?${slow}`, `/api/labs/faults/compressed/sse?${slow}`].map((path) =>
        fetch(`${server.url}${path}`, { signal: controller.signal, headers: { 'Accept-Encoding': 'gzip' } }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(server.limiter.open).toBe(3);
    controller.abort();
    await expect.poll(() => server.limiter.open).toBe(0);
  });
});
