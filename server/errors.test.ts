/**
 * Bad inputs, over real sockets: each gets the exact status, `application/problem+json`, and a
 * `detail` a person can act on that names the parameter (README, "The HTTP API": errors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createParser } from 'eventsource-parser';
import { listen, type Listening } from './testing/listen.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen();
});
afterAll(() => server.close());

interface Case {
  name: string;
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  /** The `param` field of the problem; `null`: none. */
  param: string | null;
  /** A piece of `detail` (case-sensitive). */
  detail: string;
}

/** `extra` on a fast, valid base for the buffered endpoint (base parameters `extra` names are left out). */
function q(extra: string): string {
  const named = new Set(new URLSearchParams(extra).keys());
  const base = ['text=x', 'tps=1000', 'ttft=0'].filter((p) => !named.has(p.split('=')[0]!));
  return `/api/stream/http?${[...base, extra].join('&')}`;
}
const json = { 'content-type': 'application/json' };
const chat = (body: unknown): Pick<Case, 'method' | 'path' | 'headers' | 'body'> => ({
  method: 'POST',
  path: '/v1/chat/completions',
  headers: json,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const hi = [{ role: 'user', content: 'hi' }];

const cases: Case[] = [
  // Pacing bounds, on both query-string stream endpoints.
  { name: 'tps below bounds', path: q('tps=0.4'), status: 400, param: 'tps', detail: 'from 0.5 to 1000' },
  { name: 'tps zero', path: q('tps=0'), status: 400, param: 'tps', detail: '"tps"' },
  { name: 'tps above bounds', path: q('tps=1001'), status: 400, param: 'tps', detail: 'got "1001"' },
  { name: 'tps negative', path: q('tps=-5'), status: 400, param: 'tps', detail: '"tps"' },
  { name: 'tps not a number', path: q('tps=abc'), status: 400, param: 'tps', detail: 'got "abc"' },
  { name: 'tps infinite (1e999)', path: q('tps=1e999'), status: 400, param: 'tps', detail: 'got "1e999"' },
  { name: 'tps hex', path: q('tps=0x10'), status: 400, param: 'tps', detail: '"tps"' },
  { name: 'tps NaN', path: q('tps=NaN'), status: 400, param: 'tps', detail: '"tps"' },
  { name: 'ttft below bounds', path: q('ttft=-1'), status: 400, param: 'ttft', detail: 'from 0 to 30000' },
  { name: 'ttft above bounds', path: q('ttft=30001'), status: 400, param: 'ttft', detail: '"ttft"' },
  { name: 'ttft not a number', path: q('ttft=soon'), status: 400, param: 'ttft', detail: 'got "soon"' },
  { name: 'jitter below bounds', path: q('jitter=-0.1'), status: 400, param: 'jitter', detail: 'from 0 to 1' },
  { name: 'jitter above bounds', path: q('jitter=1.01'), status: 400, param: 'jitter', detail: '"jitter"' },
  { name: 'jitter on SSE too', path: '/api/stream/sse?jitter=2', status: 400, param: 'jitter', detail: '"jitter"' },
  { name: 'seed a fraction', path: q('seed=1.5'), status: 400, param: 'seed', detail: 'must be an integer; got "1.5"' },
  { name: 'seed a word', path: q('seed=x'), status: 400, param: 'seed', detail: 'got "x"' },
  { name: 'seed beyond safe integers', path: q('seed=99999999999999999999'), status: 400, param: 'seed', detail: '"seed"' },
  { name: 'unknown parameter', path: q('speed=3'), status: 400, param: 'speed', detail: 'Unknown parameter "speed"' },
  { name: 'unknown parameter on SSE', path: '/api/stream/sse?TPS=3', status: 400, param: 'TPS', detail: 'Known parameters: prompt, text, tps' },
  { name: 'a parameter given twice', path: q('tps=5&tps=6'), status: 400, param: 'tps', detail: 'given 2 times' },
  { name: 'text given twice', path: '/api/stream/sse?text=a&text=b', status: 400, param: 'text', detail: 'give it once' },
  { name: 'unknown prompt', path: '/api/stream/sse?prompt=no-such-prompt', status: 404, param: 'prompt', detail: 'Unknown prompt "no-such-prompt"' },
  { name: 'unknown prompt (buffered)', path: '/api/stream/http?prompt=nope', status: 404, param: 'prompt', detail: 'GET /api/prompts' },
  { name: 'both prompt and text', path: '/api/stream/sse?prompt=what-is-sse&text=hi', status: 400, param: 'prompt', detail: 'not both' },
  { name: 'empty text', path: '/api/stream/sse?text=', status: 400, param: 'text', detail: '"text" is empty' },
  {
    name: 'text of 20,001 characters',
    path: `/api/stream/sse?text=${'a'.repeat(20_001)}`,
    status: 413,
    param: 'text',
    detail: '20001 characters long; the limit is 20000',
  },
  {
    name: 'text of 20,001 emoji (a ~240 KB request head)',
    path: `/api/stream/http?${new URLSearchParams({ text: '😀'.repeat(20_001) })}`,
    status: 413,
    param: 'text',
    detail: '20001 characters',
  },
  { name: 'run with a space', path: q('run=my%20run'), status: 400, param: 'run', detail: 'Parameter "run" must be 1 to 64' },
  { name: 'run too long', path: q(`run=${'r'.repeat(65)}`), status: 400, param: 'run', detail: '"run"' },
  { name: 'run empty', path: q('run='), status: 400, param: 'run', detail: '"run"' },
  {
    name: 'Last-Event-ID not a number',
    path: '/api/stream/sse?text=hello%20world',
    headers: { 'Last-Event-ID': 'abc' },
    status: 400,
    param: 'Last-Event-ID',
    detail: 'got "abc"',
  },
  {
    name: 'Last-Event-ID negative',
    path: '/api/stream/sse?text=hello%20world',
    headers: { 'Last-Event-ID': '-1' },
    status: 400,
    param: 'Last-Event-ID',
    detail: '"Last-Event-ID"',
  },
  {
    name: 'Last-Event-ID past the end',
    path: '/api/stream/sse?text=hello',
    headers: { 'Last-Event-ID': '1' },
    status: 400,
    param: 'Last-Event-ID',
    detail: 'from 0 to 0; got "1"',
  },
  { name: 'unknown /api path', path: '/api/nope', status: 404, param: null, detail: 'There is no GET /api/nope' },
  { name: 'unknown /api stream', path: '/api/stream/grpc', status: 404, param: null, detail: '/api/stream/grpc' },
  { name: 'unknown /v1 path', path: '/v1/embeddings', status: 404, param: null, detail: 'There is no GET /v1/embeddings' },
  { name: 'GET /api/stream/ws without upgrade', path: '/api/stream/ws', status: 400, param: null, detail: 'Upgrade' },
  { name: 'GET /v1/chat/completions', path: '/v1/chat/completions', status: 405, param: null, detail: 'Use POST' },

  // POST /v1/chat/completions
  { name: 'chat: body not JSON', ...chat('{"model": "echo",'), status: 400, param: 'body', detail: 'not valid JSON' },
  { name: 'chat: body a JSON array', ...chat([{ model: 'echo' }]), status: 400, param: 'body', detail: 'must be a JSON object' },
  { name: 'chat: body a JSON string', ...chat('"hello"'), status: 400, param: 'body', detail: 'JSON' },
  {
    name: 'chat: body not declared JSON',
    ...chat({ model: 'echo', messages: hi }),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    param: 'body',
    detail: 'application/json',
  },
  { name: 'chat: missing model', ...chat({ messages: hi }), status: 400, param: 'model', detail: 'Field "model" is required' },
  { name: 'chat: model not a string', ...chat({ model: 7, messages: hi }), status: 400, param: 'model', detail: '"model"' },
  { name: 'chat: unknown model', ...chat({ model: 'gpt-4o', messages: hi }), status: 404, param: 'model', detail: 'Unknown model "gpt-4o"' },
  { name: 'chat: missing messages', ...chat({ model: 'echo' }), status: 400, param: 'messages', detail: 'Field "messages" must be a non-empty array' },
  { name: 'chat: messages not an array', ...chat({ model: 'echo', messages: 'hi' }), status: 400, param: 'messages', detail: '"messages"' },
  { name: 'chat: messages empty', ...chat({ model: 'echo', messages: [] }), status: 400, param: 'messages', detail: 'non-empty' },
  { name: 'chat: a message without role', ...chat({ model: 'echo', messages: [{ content: 'hi' }] }), status: 400, param: 'messages', detail: 'messages[0]' },
  {
    name: 'chat: content a number',
    ...chat({ model: 'echo', messages: [{ role: 'user', content: 5 }] }),
    status: 400,
    param: 'messages',
    detail: 'messages[0].content',
  },
  {
    name: 'chat: stream not boolean',
    ...chat({ model: 'echo', messages: hi, stream: 'yes' }),
    status: 400,
    param: 'stream',
    detail: 'Field "stream" must be true or false',
  },
  {
    name: 'chat: unknown field',
    ...chat({ model: 'echo', messages: hi, temprature: 1 }),
    status: 400,
    param: 'temprature',
    detail: 'Unknown field "temprature"',
  },
  {
    name: 'chat: echo without a user message',
    ...chat({ model: 'echo', messages: [{ role: 'system', content: 'be brief' }] }),
    status: 400,
    param: 'messages',
    detail: 'needs a user message',
  },
  {
    name: 'chat: echo with empty user text',
    ...chat({ model: 'echo', messages: [{ role: 'user', content: '' }] }),
    status: 400,
    param: 'messages',
    detail: 'Model "echo"',
  },
  {
    name: 'chat: echo with a prompt',
    ...chat({ model: 'echo', messages: hi, prompt: 'what-is-sse' }),
    status: 400,
    param: 'prompt',
    detail: 'takes no "prompt"',
  },
  {
    name: 'chat: body over 1 MB',
    ...chat({ model: 'echo', messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }] }),
    status: 413,
    param: 'body',
    detail: 'larger than the limit',
  },
  {
    name: 'chat: tps above bounds in the body',
    ...chat({ model: 'echo', messages: hi, tps: 5000 }),
    status: 400,
    param: 'tps',
    detail: 'Parameter "tps" must be a number from 0.5 to 1000; got 5000',
  },
  { name: 'chat: ttft below bounds in the body', ...chat({ model: 'echo', messages: hi, ttft: -1 }), status: 400, param: 'ttft', detail: '"ttft"' },
  { name: 'chat: tps a string in the body', ...chat({ model: 'echo', messages: hi, tps: 'fast' }), status: 400, param: 'tps', detail: 'got "fast"' },
  { name: 'chat: seed a fraction in the body', ...chat({ model: 'echo', messages: hi, seed: 0.5 }), status: 400, param: 'seed', detail: '"seed"' },
  {
    name: 'chat: tps out of bounds in the query',
    ...chat({ model: 'echo', messages: hi }),
    path: '/v1/chat/completions?tps=0',
    status: 400,
    param: 'tps',
    detail: '"tps"',
  },
  {
    name: 'chat: echo text over 20,000 characters',
    ...chat({ model: 'echo', messages: [{ role: 'user', content: 'y'.repeat(20_001) }] }),
    status: 413,
    param: 'messages',
    detail: 'The last user message is 20001 characters long; the limit is 20000',
  },
];

describe('bad inputs get a problem+json that names the parameter', () => {
  it.each(cases)('$name → $status', async (c) => {
    const res = await fetch(server.url + c.path, { method: c.method ?? 'GET', headers: c.headers, body: c.body });
    const text = await res.text();
    expect(res.status, text).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json(;|$)/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const problem = JSON.parse(text) as {
      type: string;
      title: string;
      status: number;
      detail: string;
      param?: string;
      error?: { message: string; param: string | null };
    };
    expect(problem.type).toBe('about:blank');
    expect(problem.status).toBe(c.status);
    expect(problem.title).toBeTruthy();
    expect(problem.param ?? null).toBe(c.param);
    expect(problem.detail).toContain(c.detail);
    if (c.path.startsWith('/v1/')) {
      // OpenAI SDKs read error.message.
      expect(problem.error).toEqual({ message: problem.detail, type: 'invalid_request_error', param: c.param, code: null });
    }
    if (c.status === 405) expect(res.headers.get('allow')).toBe('POST');
  });

  it('an empty number is the default, not an error', async () => {
    const res = await fetch(`${server.url}/api/stream/http?text=x&tps=&ttft=0&jitter=&seed=`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { text: string }).text).toBe('x');
  });

  it('exactly 20,000 emoji in the query string (a ~240 KB request head) are accepted', { timeout: 30_000 }, async () => {
    // Astral emoji are 4 UTF-8 bytes, 12 URL-encoded: the largest head a 20,000-character text
    // can make. Streaming all of it would take 20 s, so read the first token and hang up.
    const emoji = ['😀', '🎉', '🚀', '🔥', '💡', '🌍', '🍣', '🐙'];
    const text = Array.from({ length: 20_000 }, (_, i) => emoji[i % emoji.length]).join('');
    const url = `${server.url}/api/stream/sse?${new URLSearchParams({ text, tps: '1000', ttft: '0' })}`;
    expect(url.length).toBeGreaterThan(240_000);
    const abort = new AbortController();
    const res = await fetch(url, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const first = await new Promise<{ index: number; text: string }>((resolve, reject) => {
      const parser = createParser({ onEvent: (e) => e.event === 'token' && resolve(JSON.parse(e.data) as { index: number; text: string }) });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      const pump = (): void =>
        void reader.read().then(({ done, value }) => {
          if (done) return reject(new Error('stream ended before the first token'));
          parser.feed(value);
          pump();
        }, reject);
      pump();
    });
    abort.abort();
    expect(first.index).toBe(0);
    expect(text.startsWith(first.text)).toBe(true);
  });

  // 20,000 astral emoji already take 240,000 bytes of query string: a learner pasting too much
  // must still get a problem naming "text", whether Express sees the request (413) or the head
  // is too large to parse at all (431, answered from the 'clientError' handler).
  it('a text far over the limit (25,000 emoji, a 300 KB head) still gets problem+json naming "text"', async () => {
    for (const count of [25_000, 50_000]) {
      const res = await fetch(`${server.url}/api/stream/sse?${new URLSearchParams({ text: '😀'.repeat(count) })}`);
      expect([413, 431]).toContain(res.status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as { detail: string };
      expect(problem.detail).toContain('text');
    }
  });

  it('a WebSocket start with bad settings gets an error message and close 1008', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/stream/ws`);
    const messages: { type: string; code?: number; detail?: string }[] = [];
    ws.on('open', () => ws.send(JSON.stringify({ type: 'start', text: 'hi', tps: 0 })));
    ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as (typeof messages)[number]));
    const code = await new Promise<number>((resolve) => ws.on('close', resolve));
    expect(code).toBe(1008);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: 'error', code: 1008 });
    expect(messages[0]!.detail).toContain('Parameter "tps" must be a number from 0.5 to 1000');
  });

  it('after all of that, a normal stream still works', async () => {
    expect(server.limiter.open).toBe(0);
    const res = await fetch(`${server.url}/api/stream/http?text=${encodeURIComponent('still here 👋')}&tps=1000&ttft=0`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { text: string }).text).toBe('still here 👋');
    const sse = await fetch(`${server.url}/api/stream/sse?prompt=what-is-sse&tps=1000&ttft=0`);
    expect(sse.status).toBe(200);
    expect(await sse.text()).toContain('event: done');
  });
});
