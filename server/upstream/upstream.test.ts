/**
 * A real model behind Streamscope, over real sockets. The honest fake upstream is a second
 * Streamscope server (its `/v1/chat/completions` and `/v1/messages` are real OpenAI- and
 * Anthropic-shaped streams; its pacing rides in the base URL's query string); the bad days come
 * from a hand-written server (`errorUpstream.ts`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import http from 'node:http';
import WebSocket from 'ws';
import { listen, type Listening } from '../testing/listen.ts';
import { errorUpstream, type ErrorUpstream } from '../testing/errorUpstream.ts';
import { readSseEvents } from '../testing/sseEvents.ts';
import { subscribeTap } from '../testing/tapReader.ts';
import { until } from '../testing/until.ts';
import { Presenter } from '../classroom/presenter.ts';
import { MemoryReplyLog } from '../replies/memoryReplyLog.ts';
import { RedisReplyLog } from '../replies/redisReplyLog.ts';
import type { ReplyLog } from '../replies/replyLog.ts';
import { redisMissing, startRedisServer } from '../redis/redisServer.ts';
import { upstreamFromEnv } from './upstream.ts';
import type { TapEvent } from '../../shared/tap.ts';

const key = 'sk-test-upstream-SECRET-0123456789';
const text = 'Hello from a real model 👋🏽\nline two\r\ndata: not a field';

let model: Listening; // the second Streamscope: the upstream
let openai: Listening; // Streamscope with an OpenAI-kind upstream
let anthropic: Listening; // … with an Anthropic-kind one
let bad: ErrorUpstream;
let withBad: Listening;
let classroom: Listening;
let none: Listening;
let down: Listening;
const presenterToken = 'the-presenters-token';

beforeAll(async () => {
  model = await listen();
  bad = await errorUpstream();
  const base = `${model.url}/v1?tps=200&ttft=0&jitter=0`;
  [openai, anthropic, withBad, classroom, none, down] = await Promise.all([
    listen({ upstream: { url: base, kind: 'openai', key } }),
    listen({ upstream: { url: base, kind: 'anthropic', key } }),
    listen({ upstream: { url: `${bad.url}/v1`, kind: 'openai', key } }),
    listen({ upstream: { url: `${bad.url}/v1`, kind: 'openai', key }, classroom: true, presenter: new Presenter(presenterToken) }),
    listen(),
    listen({ upstream: { url: 'http://127.0.0.1:9/v1', kind: 'openai' } }),
  ]);
});
afterAll(() => Promise.all([model, openai, anthropic, withBad, classroom, none, down].map((s) => s.close()).concat(bad.close())));

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

/** The upstream's own tokens for `text`: what its SSE endpoint streams, one event each. */
async function upstreamTokens(): Promise<string[]> {
  const events = await readSseEvents(await fetch(`${model.url}/api/stream/sse?${q({ text, tps: '1000', ttft: '0' })}`));
  return events.filter((e) => e.event === 'token').map((e) => (JSON.parse(e.data) as { text: string }).text);
}

async function sseTokens(server: Listening, params: Record<string, string>): Promise<{ tokens: string[]; events: { event?: string; data: string }[] }> {
  const response = await fetch(`${server.url}/api/stream/sse?${q(params)}`);
  expect(response.status).toBe(200);
  const events = await readSseEvents(response);
  return { tokens: events.filter((e) => e.event === 'token').map((e) => (JSON.parse(e.data) as { text: string }).text), events };
}

async function wsTokens(server: Listening, settings: Record<string, string>): Promise<{ tokens: string[]; last: { type: string; detail?: string } }> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/stream/ws`);
  const messages: { type: string; text?: string; detail?: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'start', ...settings })));
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as (typeof messages)[number]));
    ws.on('close', () => resolve());
    ws.on('error', reject);
  });
  return { tokens: messages.filter((m) => m.type === 'token').map((m) => m.text!), last: messages.at(-1)! };
}

async function chat(server: Listening, path: '/v1/chat/completions' | '/v1/messages', modelId: string, stream = true, run?: string): Promise<Response> {
  return fetch(`${server.url}${path}${run ? `?run=${run}` : ''}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: modelId, messages: [{ role: 'user', content: text }], stream, max_tokens: 4096 }),
  });
}

describe('GET /v1/models with an upstream', () => {
  it("lists ours, then the upstream's as upstream/<id>", async () => {
    const body = (await (await fetch(`${openai.url}/v1/models`)).json()) as {
      data: { id: string; owned_by: string }[];
      upstream: { kind: string; models: number };
    };
    expect(body.data.map((m) => m.id)).toEqual(['streamscope', 'echo', 'upstream/streamscope', 'upstream/echo']);
    expect(body.upstream).toMatchObject({ kind: 'openai', models: 2 });
    expect(JSON.stringify(body)).not.toContain(key);
  });

  it('lists ours and says why when the upstream is down, never failing the list', async () => {
    const response = await fetch(`${down.url}/v1/models`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { id: string }[]; upstream: { error: string } };
    expect(body.data.map((m) => m.id)).toEqual(['streamscope', 'echo']);
    expect(body.upstream.error).toMatch(/did not answer.*connection refused/);
  });

  it('lists only ours, with no upstream member, when none is configured', async () => {
    const body = (await (await fetch(`${none.url}/v1/models`)).json()) as Record<string, unknown>;
    expect(body.upstream).toBeUndefined();
  });
});

describe('an upstream model through every transport', () => {
  it("gives every transport the upstream's tokens, the same as its own stream's", async () => {
    const expected = await upstreamTokens();
    expect(expected.join('')).toBe(text);
    const settings = { model: 'upstream/echo', text };
    const sse = await sseTokens(openai, settings);
    expect(sse.tokens).toEqual(expected);
    expect(sse.events.at(-1)?.event).toBe('done');

    const buffered = (await (await fetch(`${openai.url}/api/stream/http?${q(settings)}`)).json()) as { text: string; tokens: string[] };
    expect(buffered.tokens).toEqual(expected);
    expect(buffered.text).toBe(text);

    const ws = await wsTokens(openai, settings);
    expect(ws.tokens).toEqual(expected);
    expect(ws.last.type).toBe('done');

    const completions = await readSseEvents(await chat(openai, '/v1/chat/completions', 'upstream/echo'));
    expect(completions.at(-1)?.data).toBe('[DONE]');
    const deltas = completions.flatMap((e) =>
      e.data === '[DONE]' ? [] : [(JSON.parse(e.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? ''],
    );
    expect(deltas.filter(Boolean)).toEqual(expected);

    const messages = await readSseEvents(await chat(openai, '/v1/messages', 'upstream/echo'));
    expect(messages.at(-1)?.event).toBe('message_stop');
    const texts = messages.filter((e) => e.event === 'content_block_delta').map((e) => (JSON.parse(e.data) as { delta: { text: string } }).delta.text);
    expect(texts).toEqual(expected);
  });

  it('reads an Anthropic-kind upstream the same way', async () => {
    const expected = await upstreamTokens();
    expect((await sseTokens(anthropic, { model: 'upstream/echo', text })).tokens).toEqual(expected);
    const completion = (await (await chat(anthropic, '/v1/chat/completions', 'upstream/echo', false)).json()) as {
      choices: { message: { content: string } }[];
    };
    expect(completion.choices[0]!.message.content).toBe(text);
  });

  it('sends the upstream one request per reply, however many lanes of a run read it', async () => {
    const before = bad.requests.length;
    const run = 'one-request';
    const [sse, buffered, ws, completions] = await Promise.all([
      sseTokens(withBad, { model: 'upstream/ok', text: 'hi', run }),
      fetch(`${withBad.url}/api/stream/http?${q({ model: 'upstream/ok', text: 'hi', run })}`).then((r) => r.json() as Promise<{ tokens: string[] }>),
      wsTokens(withBad, { model: 'upstream/ok', text: 'hi', run }),
      fetch(`${withBad.url}/v1/chat/completions?run=${run}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'upstream/ok', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      }).then(readSseEvents),
    ]);
    const words = ['One', ' two', ' three', ' four', ' five.'];
    expect(sse.tokens).toEqual(words);
    expect(buffered.tokens).toEqual(words);
    expect(ws.tokens).toEqual(words);
    expect(
      completions
        .filter((e) => e.data !== '[DONE]')
        .map((e) => (JSON.parse(e.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content)
        .filter(Boolean),
    ).toEqual(words);
    expect(bad.requests.length - before).toBe(1);
  });

  it('sends the key the upstream needs', async () => {
    await sseTokens(withBad, { model: 'upstream/ok', text: 'key?' });
    expect(bad.lastHeaders?.authorization).toBe(`Bearer ${key}`);
  });
});

describe('upstream errors reach the lanes as the upstream’s own, named', () => {
  it.each([
    ['e401', 401, /Incorrect API key provided/],
    ['gone', 404, /model `gone` does not exist/],
    ['e429', 429, /Rate limit reached/],
    ['e500', 500, /had an error/],
    ['html', 502, /not an event stream \(text\/event-stream\)/],
  ])('%s before the head: %i problem+json', async (id, status, message) => {
    const response = await fetch(`${withBad.url}/api/stream/sse?${q({ model: `upstream/${id}`, text: 'hi' })}`);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.text()).toString();
    const problem = JSON.parse(body) as { title: string; detail: string; upstream: { status: number; message: string } };
    expect(problem.title).toMatch(/^Upstream error: /);
    expect(problem.detail).toMatch(new RegExp(`^Upstream error ${status}: `));
    expect(problem.detail).toMatch(message);
    // The upstream echoed the key: it never comes back.
    expect(body).not.toContain(key);
    // The chat APIs answer with the same status, in their own error shape.
    const completion = await chat(withBad, '/v1/chat/completions', `upstream/${id}`);
    expect(completion.status).toBe(status);
    expect(((await completion.json()) as { error: { message: string } }).error.message).toMatch(message);
  });

  it('a cut mid-stream: the tokens that came, then each transport’s error', async () => {
    const sse = await sseTokens(withBad, { model: 'upstream/cut', text: 'hi' });
    expect(sse.tokens).toEqual(['Hello', ' wor']);
    expect(sse.events.at(-1)?.event).toBe('error');
    expect(sse.events.at(-1)?.data).toMatch(/Upstream error 502: .*cut mid-stream/);
    const ws = await wsTokens(withBad, { model: 'upstream/cut', text: 'hi' });
    expect(ws.last).toMatchObject({ type: 'error', detail: expect.stringMatching(/^Upstream error/) as unknown });
    const completions = await readSseEvents(await chat(withBad, '/v1/chat/completions', 'upstream/cut'));
    expect(completions.at(-1)?.data).toMatch(/"error".*Upstream error 502/);
    const messages = await readSseEvents(await chat(withBad, '/v1/messages', 'upstream/cut'));
    expect(messages.at(-1)?.event).toBe('error');
    // Buffered: nothing was sent yet, so the status says it.
    expect((await fetch(`${withBad.url}/api/stream/http?${q({ model: 'upstream/cut', text: 'hi' })}`)).status).toBe(502);
  });

  it('a model the upstream does not list, or no upstream at all: 400 naming model', async () => {
    for (const [server, detail] of [
      [withBad, /the upstream has no model "nope"/],
      [none, /no upstream is configured/],
    ] as const) {
      const response = await fetch(`${server.url}/api/stream/sse?${q({ model: 'upstream/nope', text: 'hi' })}`);
      expect(response.status).toBe(400);
      const problem = (await response.json()) as { param: string; detail: string };
      expect(problem.param).toBe('model');
      expect(problem.detail).toMatch(detail);
    }
    const bad = await fetch(`${none.url}/api/stream/sse?model=gpt-4`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { param: string }).param).toBe('model');
  });
});

describe('a client that vanishes', () => {
  it('aborts the upstream request: no socket left', async () => {
    const before = bad.closedRequests;
    const controller = new AbortController();
    const requests = bad.requests.length;
    const response = await fetch(`${withBad.url}/api/stream/sse?${q({ model: 'upstream/slow', text: 'hi' })}`, { signal: controller.signal });
    expect(response.status).toBe(200);
    await until(() => bad.requests.length > requests, 'the upstream request');
    controller.abort();
    await until(() => bad.closedRequests > before, 'the upstream request to close');
    await until(async () => (await new Promise<number>((r) => withBad.server.getConnections((_e, n) => r(n)))) === 0, 'no connection left');
  });
});

const redisAbsent = redisMissing();

describe('a client that vanishes, on a shared reply log', () => {
  // Both shared logs take the same path (`Replies` sees `log.shared`); Redis is the one `STREAMSCOPE_REDIS_URL` gives.
  it.each([
    ['in memory', () => Promise.resolve({ log: new MemoryReplyLog({ shared: true }) as ReplyLog, stop: async () => {} })],
    [
      'in Redis',
      async () => {
        const redis = await startRedisServer();
        const log = await RedisReplyLog.connect(redis.url, { log: () => {} });
        return {
          log: log as ReplyLog,
          stop: async () => {
            await log.close();
            await redis.stop();
          },
        };
      },
    ],
  ] as const)('%s: runs the upstream request on for upstreamRunOnMs (a resume may come), then aborts it', async (where, shared) => {
    if (where === 'in Redis' && redisAbsent) return void console.warn(`Skipping the Redis case: ${redisAbsent}`);
    const { log, stop } = await shared();
    const server = await listen({ upstream: { url: `${bad.url}/v1`, kind: 'openai', key }, replyLog: log, upstreamRunOnMs: 400 });
    try {
      const before = bad.closedRequests;
      const requests = bad.requests.length;
      const controller = new AbortController();
      const response = await fetch(`${server.url}/api/stream/sse?${q({ model: 'upstream/slow', text: `shared ${where}` })}`, { signal: controller.signal });
      expect(response.status).toBe(200);
      await until(() => bad.requests.length > requests, 'the upstream request');
      controller.abort();
      const left = performance.now();
      // Still generating a while after the reader left: a reconnect could read on.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(bad.closedRequests).toBe(before);
      await until(() => bad.closedRequests > before, 'the upstream request to close');
      expect(performance.now() - left).toBeGreaterThanOrEqual(380);
    } finally {
      await server.close();
      await stop();
    }
  });
});

describe('the upstream leg in the wire tap', () => {
  const logged: string[] = [];
  afterEach(() => vi.restoreAllMocks());

  it('is an outgoing connection of the run: the request Streamscope sent and the raw response, the key masked for everyone', async () => {
    for (const method of ['log', 'error', 'warn', 'info'] as const)
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    const run = 'upstream-leg';
    const tap = await subscribeTap(withBad.url, run);
    await sseTokens(withBad, { model: 'upstream/ok', text: 'hi', run });
    await until(
      () => tap.events.some((e) => e.type === 'close' && tap.events.some((o) => o.type === 'open' && o.outgoing === 'upstream' && o.conn === e.conn)),
      'the upstream leg to close',
    );
    tap.stop();
    const open = tap.events.find((e) => e.type === 'open' && e.outgoing === 'upstream') as Extract<TapEvent, { type: 'open' }>;
    expect(open.host).toBe(new URL(bad.url).host);
    const request = tap.events.find((e) => e.type === 'request' && e.conn === open.conn) as Extract<TapEvent, { type: 'request' }>;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions', outgoing: 'upstream' });
    const bytes = (type: 'read' | 'write') =>
      Buffer.concat(
        tap.events.filter((e) => e.type === type && e.conn === open.conn).map((e) => Buffer.from((e as { data: string }).data, 'base64')),
      ).toString();
    expect(bytes('write')).toMatch(/^POST \/v1\/chat\/completions HTTP\/1.1\r\n/);
    expect(bytes('write')).toContain(`Authorization: ${'*'.repeat(`Bearer ${key}`.length)}\r\n`);
    expect(bytes('read')).toMatch(/^HTTP\/1.1 200 OK\r\n[^]*data: \[DONE\]/);
    expect(JSON.stringify(tap.events)).not.toContain(Buffer.from(key).toString('base64').slice(0, 16));
    expect(logged.join('\n')).not.toContain(key);
  });

  it('in classroom mode: the student who asked sees it, masked; the presenter sees it masked too', async () => {
    const run = 'classroom-leg';
    const listenFrom = (headers: Record<string, string>): Promise<TapEvent[]> =>
      new Promise((resolve) => {
        const events: TapEvent[] = [];
        http.get({ host: '127.0.0.1', port: classroom.port, path: `/api/tap?run=${run}`, localAddress: '127.0.0.2', headers, agent: false }, (res) => {
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (text: string) => {
            buffer += text;
            for (let at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
              const data = buffer
                .slice(0, at)
                .split('\n')
                .find((l) => l.startsWith('data: '));
              if (data) events.push(JSON.parse(data.slice(6)) as TapEvent);
              buffer = buffer.slice(at + 2);
            }
          });
          res.on('error', () => {});
          resolve(events);
        });
      });
    const student = await listenFrom({});
    const presenter = await listenFrom({ authorization: `Bearer ${presenterToken}` });
    await new Promise<void>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port: classroom.port,
            path: `/api/stream/sse?${q({ model: 'upstream/ok', text: 'hi', run })}`,
            localAddress: '127.0.0.2',
            agent: false,
          },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        )
        .on('error', reject);
    });
    for (const events of [student, presenter]) {
      await until(() => events.some((e) => e.type === 'open' && e.outgoing === 'upstream') && events.some((e) => e.type === 'read'), 'the upstream leg');
      const all = JSON.stringify(events.map((e) => ('data' in e ? Buffer.from(e.data, 'base64').toString() : '')));
      expect(all).toContain('POST /v1/chat/completions');
      expect(all).not.toContain(key);
    }
  });
});

describe('configuration from the environment', () => {
  it('reads the URL, kind and key; refuses bad values without printing the key', () => {
    expect(upstreamFromEnv({})).toBeUndefined();
    expect(upstreamFromEnv({ STREAMSCOPE_UPSTREAM_URL: 'http://127.0.0.1:11434/v1/' })).toEqual({ url: 'http://127.0.0.1:11434/v1', kind: 'openai' });
    expect(
      upstreamFromEnv({ STREAMSCOPE_UPSTREAM_URL: 'https://api.anthropic.com/v1', STREAMSCOPE_UPSTREAM_KIND: 'anthropic', STREAMSCOPE_UPSTREAM_KEY: key }),
    ).toEqual({
      url: 'https://api.anthropic.com/v1',
      kind: 'anthropic',
      key,
    });
    expect(() => upstreamFromEnv({ STREAMSCOPE_UPSTREAM_URL: 'ftp://x' })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => upstreamFromEnv({ STREAMSCOPE_UPSTREAM_URL: 'http://x', STREAMSCOPE_UPSTREAM_KIND: 'gemini', STREAMSCOPE_UPSTREAM_KEY: key })).toThrow(
      /openai.*anthropic/,
    );
    expect(openai.upstream!.describe()).not.toContain(key);
  });
});
