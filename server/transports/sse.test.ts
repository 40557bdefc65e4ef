import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { listen, type Listening } from '../testing/listen.ts';
import { readSseEvents } from '../testing/sseEvents.ts';
import { replyFor } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen({ retryMs: 50 });
});
afterAll(() => server.close());

describe('GET /api/stream/sse', () => {
  it('answers 200 text/event-stream, chunked, with the SSE headers', async () => {
    const response = await fetch(`${server.url}/api/stream/sse?tps=1000&ttft=0`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-length')).toBeNull();
    await response.body?.cancel();
  });

  it('sends one token event per token with id, then a done event', async () => {
    const expected = replyFor(parseSettings({ prompt: 'what-is-sse' }));
    const events = await readSseEvents(await fetch(`${server.url}/api/stream/sse?prompt=what-is-sse&tps=1000&ttft=0`));
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.map((e) => e.id)).toEqual(expected.tokens.map((_, i) => String(i)));
    expect(tokens.map((e) => JSON.parse(e.data))).toEqual(expected.tokens.map((text, index) => ({ index, text })));
    expect(events.at(-1)?.event).toBe('done');
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ tokens: expected.tokens.length });
  });

  it('sends the retry hint first and a comment heartbeat while thinking', async () => {
    const quiet = await listen({ heartbeatMs: 30 });
    try {
      const response = await fetch(`${quiet.url}/api/stream/sse?ttft=200&tps=1000&text=hi`);
      const body = await response.text();
      expect(body.startsWith('retry: 1000\n\n')).toBe(true);
      expect(body).toMatch(/^: keep-alive\n\n/m);
    } finally {
      await quiet.close();
    }
  });

  it('resumes after Last-Event-ID: nothing lost, nothing repeated', async () => {
    const expected = replyFor(parseSettings({ prompt: 'what-is-sse' }));
    const response = await fetch(`${server.url}/api/stream/sse?prompt=what-is-sse&tps=1000&ttft=0`, { headers: { 'Last-Event-ID': '9' } });
    const tokens = (await readSseEvents(response)).filter((e) => e.event === 'token');
    expect(tokens[0]?.id).toBe('10');
    expect(tokens.map((e) => JSON.parse(e.data).text).join('')).toBe(expected.tokens.slice(10).join(''));
  });

  it('works with a spec-compliant EventSource, which reconnects and resumes on its own', async () => {
    const expected = replyFor(parseSettings({ prompt: 'what-is-sse', tps: '100' }));
    const received: { id: string; text: string }[] = [];
    let connections = 0;
    const text = await new Promise<string>((resolve, reject) => {
      const source = new EventSource(`${server.url}/api/stream/sse?prompt=what-is-sse&tps=100&ttft=0`, {
        fetch: (url, init) => {
          connections++;
          return fetch(url, init);
        },
      });
      source.addEventListener('token', (e) => {
        const { text } = JSON.parse(e.data) as { text: string };
        received.push({ id: e.lastEventId, text });
        // Cut the connection from the server side after the fifth token of the first connection.
        if (received.length === 5) server.server.closeAllConnections();
      });
      source.addEventListener('done', () => {
        source.close();
        resolve(received.map((r) => r.text).join(''));
      });
      setTimeout(() => {
        source.close();
        reject(new Error(`no done event; got ${received.length} tokens over ${connections} connections`));
      }, 10_000);
    });
    expect(connections).toBe(2);
    expect(received.map((r) => Number(r.id))).toEqual(expected.tokens.map((_, i) => i));
    expect(text).toBe(expected.text);
  });

  it('gives the same bytes for the same settings', async () => {
    const url = `${server.url}/api/stream/sse?prompt=what-is-sse&tps=1000&ttft=0&jitter=0.7&seed=9`;
    const [a, b] = await Promise.all([fetch(url).then((r) => r.text()), fetch(url).then((r) => r.text())]);
    expect(a).toBe(b);
  });
});

describe('GET /api/stream/http', () => {
  it('answers once, with Content-Length, no-store, the full text and its tokens', async () => {
    const expected = replyFor(parseSettings({ prompt: 'what-is-sse' }));
    const response = await fetch(`${server.url}/api/stream/http?prompt=what-is-sse&tps=1000&ttft=0`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('transfer-encoding')).toBeNull();
    const body = await response.text();
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    const json = JSON.parse(body) as { text: string; tokens: string[] };
    expect(json.text).toBe(expected.text);
    expect(json.tokens).toEqual(expected.tokens);
  });

  it('waits for the whole simulated generation before the first byte', async () => {
    const started = performance.now();
    const response = await fetch(`${server.url}/api/stream/http?text=one%20two%20three%20four&tps=10&ttft=100&jitter=0`);
    const waited = performance.now() - started;
    await response.text();
    // Four tokens: the last is due at 100 + 3 × 100 ms. (A lower bound only: never flaky.)
    expect(waited).toBeGreaterThanOrEqual(390);
  });
});

describe('GET /api/prompts', () => {
  it('lists the scripted prompts with their token counts, the defaults and the bounds', async () => {
    const body = (await (await fetch(`${server.url}/api/prompts`)).json()) as { prompts: { id: string; tokens: number }[]; bounds: object };
    expect(body.prompts.length).toBeGreaterThanOrEqual(6);
    expect(body.prompts.every((p) => p.tokens > 0)).toBe(true);
    expect(body.bounds).toMatchObject({ tps: { min: 0.5, max: 1000 } });
  });
});
