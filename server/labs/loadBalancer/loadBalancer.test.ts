/**
 * The load-balancer lab over real sockets, wired into a main server as main.ts wires it: three
 * instances behind `/lb/…`, round robin and sticky sessions, an SSE stream that survives the
 * death of its instance and a WebSocket that does not.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';
import { createParser } from 'eventsource-parser';
import { replyFor } from '../../model/reply.ts';
import { parseSettings } from '../../model/settings.ts';
import type { BalancerState, SimulationResult } from '../../../shared/loadBalancer.ts';
import { simulateSessions } from './sessionSimulation.ts';
import { cookieFetch, startLab, type Lab } from './testLab.ts';
import { until } from '../../testing/until.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(() => lab.close());
afterEach(async () => {
  // Every test starts from three live instances, round robin, nothing open.
  await Promise.all(['a', 'b', 'c'].map((id) => lab.lb.revive(id)));
  lab.lb.mode = 'round-robin';
  await until(
    () => lab.lb.state().instances.every((i) => i.open === 0),
    () => lab.lb.state(),
  );
});

const quick = 'tps=1000&ttft=0';
const instanceOf = (response: Response): string | null => response.headers.get('x-streamscope-instance');
const state = async (): Promise<BalancerState> => (await (await fetch(`${lab.url}/api/labs/lb`)).json()) as BalancerState;

describe('round robin', () => {
  it('spreads 6 requests over a, b, c in turn', async () => {
    const served: (string | null)[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${lab.url}/lb/api/stream/http?text=hi&${quick}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ text: 'hi' });
      served.push(instanceOf(response));
    }
    // The turn goes on from wherever earlier tests left it.
    const first = served[0]!;
    const order = ['a', 'b', 'c'];
    expect(served).toEqual(Array.from({ length: 6 }, (_, i) => order[(order.indexOf(first) + i) % 3]));
    expect(new Set(served)).toEqual(new Set(order));
  });

  it('forwards POST bodies and answers of every endpoint, no cookie set', async () => {
    const completion = await fetch(`${lab.url}/lb/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'through the balancer' }], tps: 1000, ttft: 0 }),
    });
    expect(completion.status).toBe(200);
    expect(instanceOf(completion)).toMatch(/^[abc]$/);
    expect(completion.headers.get('set-cookie')).toBeNull();
    expect(((await completion.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('through the balancer');

    const sse = await fetch(`${lab.url}/lb/api/stream/sse?text=hi&${quick}`);
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    expect(sse.headers.get('x-accel-buffering')).toBe('no');
    expect(await sse.text()).toContain('event: done');

    // An instance's own errors pass through as they are.
    const bad = await fetch(`${lab.url}/lb/api/stream/sse?tps=0`);
    expect(bad.status).toBe(400);
    expect(instanceOf(bad)).toMatch(/^[abc]$/);
    expect(await bad.json()).toMatchObject({ param: 'tps' });
  });

  it('carries the longest `text` (20,000 emoji, a 240 KB request head) to an instance', async () => {
    const text = '🙂'.repeat(20_000);
    const abort = new AbortController();
    const response = await fetch(`${lab.url}/lb/api/stream/sse?text=${encodeURIComponent(text)}&${quick}`, { signal: abort.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let soFar = '';
    while (!soFar.includes('event: token')) soFar += (await reader.read()).value ?? '';
    abort.abort();
    await reader.cancel().catch(() => {});
  });

  it('passes each SSE token on as soon as the instance writes it (no buffering)', async () => {
    // The second token is due 2 s after the first: reading the first one while the stream is
    // open shows the balancer did not wait for more. (A buffering proxy would time out here.)
    const abort = new AbortController();
    const response = await fetch(`${lab.url}/lb/api/stream/sse?text=${encodeURIComponent('one two three four five')}&tps=0.5&ttft=0`, { signal: abort.signal });
    const id = instanceOf(response);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let soFar = '';
    while (!soFar.includes('event: token')) soFar += (await reader.read()).value ?? '';
    expect(soFar).toContain('"index":0');
    expect(soFar).not.toContain('"index":1');
    expect((await state()).instances.find((i) => i.id === id)).toMatchObject({ open: 1 });
    abort.abort();
    await reader.cancel().catch(() => {});
  });
});

describe('sticky sessions', () => {
  it('keeps a client with a cookie on one instance, and pins the next client to the next one', async () => {
    lab.lb.mode = 'sticky';
    const first = cookieFetch();
    for (let i = 0; i < 6; i++) expect((await first.fetch(`${lab.url}/lb/api/stream/http?text=hi&${quick}`)).status).toBe(200);
    const pinned = first.seen[0]!.instance!;
    expect(first.seen.map((s) => s.instance)).toEqual(Array(6).fill(pinned));
    expect(first.cookies.get('streamscope_lb')).toBe(pinned);

    const second = cookieFetch();
    await second.fetch(`${lab.url}/lb/api/prompts`);
    expect(second.cookies.get('streamscope_lb')).toBe(second.seen[0]!.instance);
    expect(second.seen[0]!.instance).not.toBe(pinned);
  });

  it('re-pins a client whose instance died, with a new cookie', async () => {
    lab.lb.mode = 'sticky';
    const client = cookieFetch();
    await client.fetch(`${lab.url}/lb/api/prompts`);
    const pinned = client.cookies.get('streamscope_lb')!;
    await lab.lb.kill(pinned);
    const again = await client.fetch(`${lab.url}/lb/api/prompts`);
    expect(again.status).toBe(200);
    expect(client.cookies.get('streamscope_lb')).not.toBe(pinned);
    expect(client.cookies.get('streamscope_lb')).toBe(instanceOf(again));
  });
});

/** Runs an EventSource through the balancer; kills its instance after `killAfter` tokens. */
async function streamThroughKill(killAfter: number, client = cookieFetch()): Promise<{ ids: number[]; text: string; client: ReturnType<typeof cookieFetch> }> {
  const received: { id: number; text: string }[] = [];
  const source = new EventSource(`${lab.url}/lb/api/stream/sse?prompt=what-is-sse&tps=150&ttft=0`, { fetch: client.fetch });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no done event; got ${received.length} tokens: ${JSON.stringify(client.seen)}`)), 10_000);
    source.addEventListener('token', (event) => {
      received.push({ id: Number(event.lastEventId), text: (JSON.parse(event.data) as { text: string }).text });
      if (received.length === killAfter) void lab.lb.kill(client.seen[0]!.instance!);
    });
    source.addEventListener('done', () => {
      clearTimeout(timer);
      resolve();
    });
  }).finally(() => source.close());
  return { ids: received.map((r) => r.id), text: received.map((r) => r.text).join(''), client };
}

describe('an instance dies under an SSE stream', () => {
  it('the stream reconnects through the balancer to another instance and resumes: no token lost or repeated', async () => {
    const expected = replyFor(parseSettings({ prompt: 'what-is-sse' }));
    const { ids, text, client } = await streamThroughKill(5);
    expect(text).toBe(expected.text);
    expect(ids).toEqual(expected.tokens.map((_, i) => i));
    expect(client.seen).toHaveLength(2);
    const [before, after] = client.seen;
    expect(after!.instance).not.toBe(before!.instance);
    expect(after!.lastEventId).toBe(String(Number(after!.lastEventId)));
    expect(Number(after!.lastEventId)).toBeGreaterThanOrEqual(4);
    expect((await state()).instances.find((i) => i.id === before!.instance)).toMatchObject({ alive: false, open: 0 });
  });

  it('with sticky sessions too: the client is re-pinned to a live instance', async () => {
    lab.lb.mode = 'sticky';
    const expected = replyFor(parseSettings({ prompt: 'what-is-sse' }));
    const { ids, text, client } = await streamThroughKill(3);
    expect(text).toBe(expected.text);
    expect(ids).toEqual(expected.tokens.map((_, i) => i));
    const [before, after] = client.seen;
    expect(after!.instance).not.toBe(before!.instance);
    expect(client.cookies.get('streamscope_lb')).toBe(after!.instance);
  });
});

/** Opens a WebSocket through the balancer and starts a reply; resolves once the first token is in. */
async function websocketThroughBalancer(): Promise<{ ws: WebSocket; instance: string; tokens: number[]; closed: Promise<number> }> {
  const ws = new WebSocket(`${lab.url.replace('http', 'ws')}/lb/api/stream/ws`);
  const tokens: number[] = [];
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  ws.on('error', () => {});
  // ws emits 'open' in the same turn as 'upgrade': listen for both at once.
  const handshake = new Promise<string>((resolve, reject) => {
    ws.once('upgrade', (response) => resolve(String(response.headers['x-streamscope-instance'])));
    ws.once('unexpected-response', (_req, response) => reject(new Error(`handshake answered ${response.statusCode}`)));
  });
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
  const [instance] = await Promise.all([handshake, opened]);
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; index: number };
    if (message.type === 'token') tokens.push(message.index);
  });
  ws.send(JSON.stringify({ type: 'start', prompt: 'on-the-wire', tps: 100, ttft: 0 }));
  await until(
    () => tokens.length > 0,
    () => tokens,
  );
  return { ws, instance, tokens, closed };
}

describe('WebSocket through the balancer', () => {
  it('streams, and says which instance took the handshake', async () => {
    const { ws, instance, tokens } = await websocketThroughBalancer();
    expect(instance).toMatch(/^[abc]$/);
    expect((await state()).instances.find((i) => i.id === instance)).toMatchObject({ open: 1 });
    ws.close();
    expect(tokens[0]).toBe(0);
  });

  it('dies with its instance: closed without a close frame (1006), and the instance shows dead', async () => {
    const { instance, closed, tokens } = await websocketThroughBalancer();
    await lab.lb.kill(instance);
    expect(await closed).toBe(1006);
    expect(tokens.length).toBeLessThan(replyFor(parseSettings({ prompt: 'on-the-wire' })).tokens.length);
    const dead = (await state()).instances.find((i) => i.id === instance);
    expect(dead).toMatchObject({ alive: false });
    await until(async () => (await state()).instances.find((i) => i.id === instance)!.open === 0, state);
  });

  it('a sticky cookie from earlier requests pins the handshake too', async () => {
    lab.lb.mode = 'sticky';
    const client = cookieFetch();
    await client.fetch(`${lab.url}/lb/api/prompts`);
    const pinned = client.cookies.get('streamscope_lb');
    for (let i = 0; i < 3; i++) {
      const ws = new WebSocket(`${lab.url.replace('http', 'ws')}/lb/api/stream/ws`, { headers: { cookie: `streamscope_lb=${pinned}` } });
      const instance = await new Promise<string>((resolve) => ws.once('upgrade', (response) => resolve(String(response.headers['x-streamscope-instance']))));
      expect(instance).toBe(pinned);
      ws.terminate();
    }
  });
});

describe('kill and revive', () => {
  it('a revived instance listens on its old port and serves again', async () => {
    const before = (await state()).instances.find((i) => i.id === 'b')!;
    expect((await fetch(`${lab.url}/api/labs/lb/instances/b/kill`, { method: 'POST' })).status).toBe(200);
    const served = new Set<string | null>();
    for (let i = 0; i < 4; i++) served.add(instanceOf(await fetch(`${lab.url}/lb/api/prompts`)));
    expect(served).toEqual(new Set(['a', 'c']));

    const revived = (await (await fetch(`${lab.url}/api/labs/lb/instances/b/revive`, { method: 'POST' })).json()) as BalancerState;
    expect(revived.instances.find((i) => i.id === 'b')).toMatchObject({ alive: true, port: before.port });
    served.clear();
    for (let i = 0; i < 3; i++) served.add(instanceOf(await fetch(`${lab.url}/lb/api/prompts`)));
    expect(served).toEqual(new Set(['a', 'b', 'c']));
    expect((await state()).instances.find((i) => i.id === 'b')!.served).toBeGreaterThan(before.served);
  });

  it('answers 503 problem+json when every instance is down, for requests and handshakes', async () => {
    await Promise.all(['a', 'b', 'c'].map((id) => lab.lb.kill(id)));
    const response = await fetch(`${lab.url}/lb/api/stream/sse?${quick}`);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({ status: 503, title: 'Service Unavailable', detail: expect.stringContaining('revive') });

    const ws = new WebSocket(`${lab.url.replace('http', 'ws')}/lb/api/stream/ws`);
    ws.on('error', () => {});
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(503);
    ws.terminate();
  });
});

describe('control API', () => {
  it('reports the state and switches modes', async () => {
    const initial = await state();
    expect(initial.mode).toBe('round-robin');
    expect(initial.instances.map((i) => i.id)).toEqual(['a', 'b', 'c']);
    expect(initial.instances.every((i) => i.alive && i.port > 0 && i.open === 0)).toBe(true);

    const put = await fetch(`${lab.url}/api/labs/lb/mode`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"mode":"sticky"}' });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ mode: 'sticky' });
    expect(lab.lb.mode).toBe('sticky');
  });

  it.each([
    ['PUT', '/api/labs/lb/mode', '{"mode":"random"}', 400, 'mode'],
    ['PUT', '/api/labs/lb/mode', '{}', 400, 'mode'],
    ['PUT', '/api/labs/lb/mode', '["sticky"]', 400, 'mode'],
    ['PUT', '/api/labs/lb/mode', '"sticky"', 400, 'body'],
    ['PUT', '/api/labs/lb/mode', '{"mode":', 400, 'body'],
    ['GET', '/api/labs/lb/mode', undefined, 405, undefined],
    ['POST', '/api/labs/lb/instances/z/kill', undefined, 404, 'id'],
    ['POST', '/api/labs/lb/instances/z/revive', undefined, 404, 'id'],
    ['GET', '/api/labs/lb/instances/a/kill', undefined, 405, undefined],
    ['POST', '/api/labs/lb/instances/a/explode', undefined, 404, undefined],
    ['POST', '/api/labs/lb/simulate', '{"mode":"random"}', 400, 'mode'],
    ['POST', '/api/labs/lb/simulate', '{"seed":1.5}', 400, 'seed'],
    ['POST', '/api/labs/lb/simulate', '{"seed":"1"}', 400, 'seed'],
    ['POST', '/api/labs/lb/simulate', '{"kill":"z"}', 400, 'kill'],
    ['POST', '/api/labs/lb/simulate', '[]', 400, 'body'],
    ['GET', '/api/labs/lb/simulate', undefined, 405, undefined],
  ] as const)('%s %s %s → %i problem+json', async (method, path, body, status, param) => {
    const response = await fetch(`${lab.url}${path}`, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as { detail: string; param?: string };
    expect(problem.detail.length).toBeGreaterThan(10);
    expect(problem.param).toBe(param);
  });

  it("simulates clients coming and going: in the balancer's mode unless told, the same run for the same seed", async () => {
    const simulate = async (body?: object): Promise<SimulationResult> => {
      const response = await fetch(`${lab.url}/api/labs/lb/simulate`, {
        method: 'POST',
        body: body && JSON.stringify(body),
        headers: body ? { 'content-type': 'application/json' } : {},
      });
      expect(response.status).toBe(200);
      return (await response.json()) as SimulationResult;
    };
    lab.lb.mode = 'sticky';
    const sticky = await simulate();
    expect(sticky).toMatchObject({ mode: 'sticky', seed: 1, kill: { id: 'a' } });
    expect(sticky).toEqual(simulateSessions({ mode: 'sticky', seed: 1 }));
    const roundRobin = await simulate({ mode: 'round-robin', seed: 2, kill: 'c' });
    expect(roundRobin).toEqual(simulateSessions({ mode: 'round-robin', seed: 2, kill: 'c' }));
    // A simulation: the real instances were not touched.
    expect((await state()).instances.every((i) => i.alive)).toBe(true);
  });

  it('streams the state as SSE, now and on every change', async () => {
    const abort = new AbortController();
    const response = await fetch(`${lab.url}/api/labs/lb/events`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const states: BalancerState[] = [];
    const parser = createParser({ onEvent: (e) => e.event === 'state' && states.push(JSON.parse(e.data) as BalancerState) });
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
    })().catch(() => {});
    await until(
      () => states.length === 1,
      () => states,
    );
    expect(states[0]!.instances.every((i) => i.alive)).toBe(true);

    await lab.lb.kill('c');
    await until(
      () => states.at(-1)!.instances.find((i) => i.id === 'c')!.alive === false,
      () => states,
    );
    await fetch(`${lab.url}/lb/api/prompts`).then((r) => r.text());
    await until(
      () => states.at(-1)!.instances.reduce((n, i) => n + i.served, 0) > states[0]!.instances.reduce((n, i) => n + i.served, 0),
      () => states,
    );
    abort.abort();
    await reading;
  });
});
