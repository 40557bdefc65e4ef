/**
 * Errors after the `200` (the `fail` setting) on every transport, and the tap's `generation`
 * report of how far the server generated a reply and why it stopped, over real sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { WebSocket } from 'ws';
import OpenAI from 'openai';
import { listen, type Listening } from '../testing/listen.ts';
import { until } from '../testing/until.ts';
import { readSseEvents } from '../testing/sseEvents.ts';
import { replyFor } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';
import { faultsRoutes } from '../labs/faults/faultsRoutes.ts';
import type { TapEvent, TapGeneration } from '../../shared/tap.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen({ heartbeatMs: 60_000, routes: (app, ctx) => app.use(faultsRoutes(ctx)) });
});
afterAll(() => server.close());

const fast = { tps: 1000, ttft: 0, jitter: 0 };
const reply = replyFor(parseSettings({ prompt: 'what-is-sse' }));
const detail = 'The model failed after 7 tokens (the fail=7 setting).';

/** Listens to `/api/tap?run=<run>` and collects its events until `stop()`. */
async function tap(run: string): Promise<{ events: TapEvent[]; generations: () => TapGeneration[]; stop: () => void }> {
  const abort = new AbortController();
  const response = await fetch(`${server.url}/api/tap?run=${run}`, { signal: abort.signal });
  const events: TapEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data) as TapEvent) });
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      // stopped
    }
  })();
  return { events, generations: () => events.filter((e): e is TapGeneration => e.type === 'generation'), stop: () => abort.abort() };
}

describe('the fail setting', () => {
  it.each([
    ['-1', 'fail=-1'],
    ['a word', 'fail=soon'],
    ['a fraction', 'fail=1.5'],
    ['too large', 'fail=100001'],
    ['twice', 'fail=1&fail=2'],
  ])('is refused when %s, with a 400 that names it', async (_name, query) => {
    const response = await fetch(`${server.url}/api/stream/sse?${query}`);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { param: string; detail: string };
    expect(problem.param).toBe('fail');
    expect(problem.detail).toMatch(/"fail"/);
  });

  it('SSE: the tokens before it, then event: error with the detail, then a clean end; same bytes every time', async () => {
    const url = `${server.url}/api/stream/sse?prompt=what-is-sse&tps=1000&ttft=0&fail=7`;
    const [a, b] = await Promise.all([fetch(url).then((r) => r.text()), fetch(url).then((r) => r.text())]);
    expect(a).toBe(b);
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e) });
    parser.feed(a);
    expect(events.filter((e) => e.event === 'token').map((e) => (JSON.parse(e.data) as { text: string }).text)).toEqual(reply.tokens.slice(0, 7));
    expect(events.at(-1)).toMatchObject({ event: 'error', id: undefined });
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ tokens: 7, detail });
    expect(events.some((e) => e.event === 'done')).toBe(false);
  });

  it('SSE: a resume after the failure is told the same error (what EventSource would get if the page did not close it)', async () => {
    const events = await readSseEvents(
      await fetch(`${server.url}/api/stream/sse?prompt=what-is-sse&tps=1000&ttft=0&fail=7`, { headers: { 'Last-Event-ID': '6' } }),
    );
    expect(events.map((e) => e.event)).toEqual(['error']);
  });

  it('a reply no longer than fail ends normally', async () => {
    const events = await readSseEvents(await fetch(`${server.url}/api/stream/sse?text=two%20tokens&tps=1000&ttft=0&fail=2`));
    expect(events.at(-1)?.event).toBe('done');
  });

  it('OpenAI-style: an error object where a chunk would be, then the end, no [DONE]; the openai SDK throws an APIError with no status', async () => {
    const body = { model: 'streamscope', messages: [{ role: 'user', content: 'what-is-sse' }], stream: true, ...fast, fail: 7 };
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    const events = await readSseEvents(response);
    const last = JSON.parse(events.at(-1)!.data) as { error: object };
    expect(last).toEqual({
      error: { message: `The server had an error while processing your request. ${detail}`, type: 'server_error', param: null, code: null },
    });
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);

    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'streamscope',
      messages: [{ role: 'user', content: 'what-is-sse' }],
      stream: true,
      fail: 7,
      ...fast,
    } as never);
    const texts: string[] = [];
    const thrown = await (async () => {
      try {
        for await (const chunk of stream as unknown as AsyncIterable<{ choices: { delta: { content?: string } }[] }>)
          texts.push(chunk.choices[0]?.delta.content ?? '');
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as InstanceType<typeof OpenAI.APIError>).status).toBeUndefined();
    expect((thrown as Error).message).toContain(detail);
    expect(texts.join('')).toBe(reply.tokens.slice(0, 7).join(''));
  });

  it('OpenAI-style, not streamed: nothing was sent yet, so a 500 says it', async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'streamscope', messages: [{ role: 'user', content: 'what-is-sse' }], ...fast, fail: 7 }),
    });
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('server_error');
  });

  it("Anthropic-style: event: error with overloaded_error (as Anthropic's docs show), no message_stop; not streamed: 529", async () => {
    const body = { model: 'streamscope', max_tokens: 1024, messages: [{ role: 'user', content: 'what-is-sse' }], ...fast, fail: 7 };
    const post = (extra: object) =>
      fetch(`${server.url}/v1/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body, ...extra }) });
    const streamed = await post({ stream: true });
    expect(streamed.status).toBe(200);
    const events = await readSseEvents(streamed);
    expect(events.filter((e) => e.event === 'content_block_delta')).toHaveLength(7);
    expect(events.at(-1)?.event).toBe('error');
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(events.some((e) => e.event === 'message_stop')).toBe(false);

    const whole = await post({});
    expect(whole.status).toBe(529);
    expect(((await whole.json()) as { error: object }).error).toEqual({ type: 'overloaded_error', message: 'Overloaded' });
  });

  it('buffered: nothing was sent yet, so the status line says it: 500 with the detail', async () => {
    const response = await fetch(`${server.url}/api/stream/http?prompt=what-is-sse&tps=1000&ttft=0&fail=7`);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { detail: string }).detail).toBe(detail);
  });

  it('WebSocket: an error message, then close 1011 with the detail as its reason', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/stream/ws`);
    const messages: { type: string; code?: number; detail?: string }[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as { type: string }));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'start', prompt: 'what-is-sse', ...fast, fail: 7 }));
    expect(await closed).toEqual({ code: 1011, reason: detail });
    expect(messages.filter((m) => m.type === 'token')).toHaveLength(7);
    expect(messages.at(-1)).toEqual({ type: 'error', code: 1011, detail });
  });
});

describe("the tap's generation report", () => {
  it('a whole reply: complete, every token', async () => {
    const t = await tap('gen-complete');
    await (await fetch(`${server.url}/api/stream/sse?prompt=what-is-sse&tps=1000&ttft=0&run=gen-complete`)).text();
    await until(() => t.generations().length === 1, 'the report');
    t.stop();
    expect(t.generations()[0]).toMatchObject({
      type: 'generation',
      run: 'gen-complete',
      from: 0,
      generated: reply.tokens.length,
      of: reply.tokens.length,
      reason: 'complete',
    });
    // On the connection the bytes came on.
    const request = t.events.find((e) => e.type === 'request');
    expect(t.generations()[0]!.conn).toBe(request && 'conn' in request ? request.conn : -1);
  });

  it('a client that goes away mid-reply: the server stops generating, and says how far it got', async () => {
    const t = await tap('gen-abort');
    const abort = new AbortController();
    const response = await fetch(`${server.url}/api/stream/sse?prompt=what-is-sse&tps=50&ttft=0&jitter=0&run=gen-abort`, { signal: abort.signal });
    let received = 0;
    const parser = createParser({ onEvent: (e) => void (e.event === 'token' && received++) });
    const reader = response.body!.getReader();
    while (received < 5) parser.feed(new TextDecoder().decode((await reader.read()).value));
    abort.abort();
    await until(() => t.generations().length === 1, 'the report');
    t.stop();
    const report = t.generations()[0]!;
    expect(report.reason).toBe('client closed');
    expect(report.generated).toBeGreaterThanOrEqual(5);
    expect(report.generated).toBeLessThan(10);
    expect(report.of).toBe(reply.tokens.length);
    // And it really stopped: the stream slot is free.
    await until(() => server.limiter.open === 0, 'the stream slot to free');
  });

  it('a WebSocket stop message: stopped, the rest never generated', async () => {
    const t = await tap('gen-stop');
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/stream/ws?run=gen-stop`);
    let tokens = 0;
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'token' && ++tokens === 3) ws.send(JSON.stringify({ type: 'stop' }));
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'start', prompt: 'what-is-sse', tps: 50, ttft: 0, jitter: 0 }));
    expect(await closed).toBe(1000);
    await until(() => t.generations().length === 1, 'the report');
    t.stop();
    expect(t.generations()[0]).toMatchObject({ reason: 'stopped', from: 0, of: reply.tokens.length });
    expect(t.generations()[0]!.generated).toBeLessThan(8);
  });

  it('a failure: failed, at the token it failed on', async () => {
    const t = await tap('gen-fail');
    await (await fetch(`${server.url}/api/stream/sse?prompt=what-is-sse&tps=1000&ttft=0&fail=7&run=gen-fail`)).text();
    await until(() => t.generations().length === 1, 'the report');
    t.stop();
    expect(t.generations()[0]).toMatchObject({ reason: 'failed', generated: 7, of: reply.tokens.length });
  });

  it('a connection the server cuts (the faults lab), then a resume from Last-Event-ID: cut, then the rest from there', async () => {
    const t = await tap('gen-cut');
    await fetch(`${server.url}/api/labs/faults/sse?prompt=what-is-sse&tps=1000&ttft=0&drop=15&run=gen-cut`)
      .then((r) => r.text())
      .catch(() => '');
    await fetch(`${server.url}/api/labs/faults/sse?prompt=what-is-sse&tps=1000&ttft=0&run=gen-cut`, { headers: { 'Last-Event-ID': '14' } }).then((r) =>
      r.text(),
    );
    await until(() => t.generations().length === 2, 'two reports');
    t.stop();
    expect(t.generations().map(({ from, generated, reason }) => ({ from, generated, reason }))).toEqual([
      { from: 0, generated: 15, reason: 'cut' },
      { from: 15, generated: reply.tokens.length - 15, reason: 'complete' },
    ]);
  });
});
