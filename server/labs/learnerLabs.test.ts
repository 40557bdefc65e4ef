/**
 * A lab per learner, over real sockets: two learners on one server, each with their own learner
 * cookie. One kills an instance under both their streams: only the killer's streams are cut; the
 * other's finish on it. Modes, the CORS switch and the WebSocket Origin check are each learner's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';
import { replyFor } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';
import { listen, type Listening } from '../testing/listen.ts';
import { startLabs, labSocketPath, type Labs } from './labs.ts';
import { anonymousLearner, learnerCookie, learnerOf, newLearnerId } from './learner.ts';
import { LearnerStates } from './LearnerStates.ts';
import type { BalancerState } from '../../shared/loadBalancer.ts';
import { cookieFetch } from './loadBalancer/testLab.ts';
import { until } from '../testing/until.ts';

let labs: Labs;
let server: Listening;
beforeAll(async () => {
  labs = await startLabs();
  server = await listen(labs.options);
});
afterAll(async () => {
  await server.close();
  await labs.close();
});

/** A browser tab of one learner: its cookie jar holds the learner cookie (and, pinned, the sticky one). */
function learner(pinnedTo?: string) {
  const id = newLearnerId();
  const client = cookieFetch();
  client.cookies.set(learnerCookie, id);
  if (pinnedTo) client.cookies.set('streamscope_lb', pinnedTo);
  const cookie = () => [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const call = async (method: string, path: string, body?: object): Promise<Response> =>
    client.fetch(`${server.url}${path}`, { method, body: body && JSON.stringify(body), headers: body ? { 'content-type': 'application/json' } : {} });
  const state = async (): Promise<BalancerState> => (await (await call('GET', '/api/labs/lb')).json()) as BalancerState;
  return { id, client, cookie, call, state };
}
type Learner = ReturnType<typeof learner>;

/** An EventSource through the balancer; `tokens` fills as they come, `done` resolves at the end. */
function sse(who: Learner) {
  const received: number[] = [];
  const texts: string[] = [];
  const source = new EventSource(`${server.url}/lb/api/stream/sse?prompt=what-is-sse&tps=100&ttft=0`, { fetch: who.client.fetch });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no done; got ${received.length} tokens: ${JSON.stringify(who.client.seen)}`)), 15_000);
    source.addEventListener('token', (event) => {
      received.push(Number(event.lastEventId));
      texts.push((JSON.parse(event.data) as { text: string }).text);
    });
    source.addEventListener('done', () => {
      clearTimeout(timer);
      resolve();
    });
  }).finally(() => source.close());
  return { received, texts, done };
}

/** A WebSocket through the balancer, started; `closed` resolves with its close code and whether `done` came. */
async function websocket(who: Learner) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/lb/api/stream/ws`, { headers: { cookie: who.cookie() } });
  ws.on('error', () => {});
  let done = false;
  const tokens: number[] = [];
  const closed = new Promise<{ code: number; done: boolean }>((resolve) => ws.once('close', (code: number) => resolve({ code, done })));
  const instance = await new Promise<string>((resolve) => ws.once('upgrade', (response) => resolve(String(response.headers['x-streamscope-instance']))));
  await new Promise<void>((resolve) => (ws.readyState === ws.OPEN ? resolve() : ws.once('open', () => resolve())));
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; index: number };
    if (message.type === 'token') tokens.push(message.index);
    if (message.type === 'done') done = true;
  });
  ws.send(JSON.stringify({ type: 'start', text: Array.from({ length: 40 }, (_, i) => `word${i}`).join(' '), tps: 40, ttft: 0 }));
  return { instance, tokens, closed };
}

describe('two learners, one instance killed', () => {
  it("A's kill cuts A's streams on a (SSE resumes elsewhere, the WebSocket dies 1006); B's streams on a finish there", async () => {
    const a = learner('a');
    const b = learner('a');
    for (const who of [a, b]) expect((await who.call('PUT', '/api/labs/lb/mode', { mode: 'sticky' })).status).toBe(200);
    const expected = replyFor(parseSettings({ prompt: 'what-is-sse' }));

    const [aSse, bSse] = [sse(a), sse(b)];
    const [aWs, bWs] = await Promise.all([websocket(a), websocket(b)]);
    expect([aWs.instance, bWs.instance]).toEqual(['a', 'a']);
    await until(
      () => aSse.received.length >= 5 && bSse.received.length >= 5 && aWs.tokens.length > 2 && bWs.tokens.length > 2,
      () => [aSse.received.length, aWs.tokens],
    );
    const killed = (await (await a.call('POST', '/api/labs/lb/instances/a/kill')).json()) as BalancerState;
    expect(killed.instances.find((i) => i.id === 'a')).toMatchObject({ alive: false, running: true });

    await Promise.all([aSse.done, bSse.done]);
    // A resumed on another instance with Last-Event-ID: every token once.
    expect(aSse.texts.join('')).toBe(expected.text);
    expect(aSse.received).toEqual(expected.tokens.map((_, i) => i));
    const aSeen = a.client.seen.filter((s) => s.url.includes('/lb/api/stream/sse'));
    expect(aSeen.map((s) => s.instance)).toEqual(['a', expect.not.stringMatching(/^a$/)]);
    expect(Number(aSeen[1]!.lastEventId)).toBeGreaterThanOrEqual(4);
    // B never noticed: one request, served by a to the end.
    expect(bSse.texts.join('')).toBe(expected.text);
    expect(b.client.seen.filter((s) => s.url.includes('/lb/api/stream/sse')).map((s) => s.instance)).toEqual(['a']);

    expect((await aWs.closed).code).toBe(1006);
    expect(await bWs.closed).toEqual({ code: 1000, done: true });

    // Each sees their own balancer: a is down for A only, and still serves B.
    expect((await a.state()).instances.find((i) => i.id === 'a')).toMatchObject({ alive: false, running: true });
    expect((await b.state()).instances.find((i) => i.id === 'a')).toMatchObject({ alive: true, running: true });
    for (let i = 0; i < 3; i++) {
      expect((await a.call('GET', '/lb/api/prompts')).headers.get('x-streamscope-instance')).not.toBe('a');
      expect((await b.call('GET', '/lb/api/prompts')).headers.get('x-streamscope-instance')).toBe('a');
    }

    // Revive undoes it for A.
    const revived = (await (await a.call('POST', '/api/labs/lb/instances/a/revive')).json()) as BalancerState;
    expect(revived.instances.every((i) => i.alive)).toBe(true);
    const round = await a.call('PUT', '/api/labs/lb/mode', { mode: 'round-robin' });
    expect(round.status).toBe(200);
    const served = new Set<string | null>();
    for (let i = 0; i < 3; i++) served.add((await a.call('GET', '/lb/api/prompts')).headers.get('x-streamscope-instance'));
    expect(served).toEqual(new Set(['a', 'b', 'c']));
    await until(
      () => labs.lb.state().instances.every((i) => i.everyone.open === 0),
      () => labs.lb.state(),
    );
  }, 20_000);

  it("A's mode is sticky while B's is round robin; a cookieless client is the anonymous learner", async () => {
    const a = learner();
    const b = learner();
    await a.call('PUT', '/api/labs/lb/mode', { mode: 'sticky' });
    expect((await a.state()).mode).toBe('sticky');
    expect((await b.state()).mode).toBe('round-robin');
    expect(((await (await fetch(`${server.url}/api/labs/lb`)).json()) as BalancerState).mode).toBe('round-robin');

    const aServed: (string | null)[] = [];
    const bServed: (string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      aServed.push((await a.call('GET', '/lb/api/prompts')).headers.get('x-streamscope-instance'));
      bServed.push((await b.call('GET', '/lb/api/prompts')).headers.get('x-streamscope-instance'));
    }
    expect(new Set(aServed).size).toBe(1);
    expect(a.client.cookies.get('streamscope_lb')).toBe(aServed[0]);
    // B takes its own turns: three instances in three requests, whatever A does in between.
    expect(new Set(bServed.slice(0, 3)).size).toBe(3);
    expect(b.client.cookies.has('streamscope_lb')).toBe(false);
    // Each learner's counts are their own; `everyone` adds all of them up.
    const aState = await a.state();
    expect(aState.instances.reduce((n, i) => n + i.served, 0)).toBe(4);
    expect(aState.instances.reduce((n, i) => n + i.everyone.served, 0)).toBeGreaterThanOrEqual(8);
  });

  it("streams each learner their own state; another's change only moves the 'everyone' counts", async () => {
    const a = learner();
    const b = learner();
    const abort = new AbortController();
    const response = await b.client.fetch(`${server.url}/api/labs/lb/events`, { signal: abort.signal });
    const states: BalancerState[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
          if (data) states.push(JSON.parse(data) as BalancerState);
          buffer = buffer.slice(end + 2);
        }
      }
    })().catch(() => {});
    await until(
      () => states.length === 1,
      () => states,
    );
    await a.call('POST', '/api/labs/lb/instances/b/kill');
    await b.call('PUT', '/api/labs/lb/mode', { mode: 'sticky' });
    await until(
      () => states.at(-1)!.mode === 'sticky',
      () => states,
    );
    expect(states.every((s) => s.instances.every((i) => i.alive))).toBe(true);
    await a.call('POST', '/api/labs/lb/instances/b/revive');
    abort.abort();
    await reading;
  });
});

describe('the HTTP and cross-origin labs per learner', () => {
  const foreign = 'http://evil.example';
  function handshake(cookie: string): Promise<'open' | number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}${labSocketPath}`, { origin: foreign, headers: { cookie } });
      ws.on('open', () => {
        ws.terminate();
        resolve('open');
      });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('error', () => {});
    });
  }

  it("A's WebSocket Origin check off lets foreign pages in for A only", async () => {
    const a = learner();
    const b = learner();
    expect(await (await a.call('PUT', '/api/labs/http/ws-origin-check', { enabled: false })).json()).toMatchObject({ enabled: false });
    expect(await (await b.call('GET', '/api/labs/http/ws-origin-check')).json()).toMatchObject({ enabled: true });
    expect(await handshake(a.cookie())).toBe('open');
    expect(await handshake(b.cookie())).toBe(403);
    expect(await handshake('')).toBe(403);
  });

  it("A's CORS switch lets the second origin read A's stream, not B's", async () => {
    labs.httpLab.cors.secondOriginPort = 45_678;
    const second = 'http://127.0.0.1:45678';
    const a = learner();
    const b = learner();
    expect(await (await a.call('PUT', '/api/labs/http/cors', { allowSecondOrigin: true })).json()).toMatchObject({
      allowSecondOrigin: true,
      secondOrigin: second,
    });
    expect(await (await b.call('GET', '/api/labs/http/cors')).json()).toMatchObject({ allowSecondOrigin: false });
    const read = async (who: Learner | null) => {
      const response = await fetch(`${server.url}/api/labs/http/cors/sse?text=hi&tps=1000&ttft=0`, {
        headers: { origin: second, ...(who ? { cookie: who.cookie() } : {}) },
      });
      await response.text();
      return response.headers.get('access-control-allow-origin');
    };
    expect(await read(a)).toBe(second);
    expect(await read(b)).toBeNull();
    expect(await read(null)).toBeNull();
  });

  it('keeps a login per browser (its session cookie), as before', async () => {
    const a = learner();
    const b = learner();
    expect((await a.call('POST', '/api/labs/http/login')).status).toBe(200);
    expect(await (await a.call('GET', '/api/labs/http/session')).json()).toEqual({ signedIn: true });
    expect(await (await b.call('GET', '/api/labs/http/session')).json()).toEqual({ signedIn: false });
  });
});

describe('the learner cookie', () => {
  it('is given on a page load, not to an API client, and never replaces one', async () => {
    const page = await fetch(`${server.url}/lessons`, { headers: { accept: 'text/html' } });
    const given = page.headers.getSetCookie().find((c) => c.startsWith(`${learnerCookie}=`));
    expect(given).toMatch(new RegExp(`^${learnerCookie}=[A-Za-z0-9_-]{22}; Path=/; HttpOnly; SameSite=Lax$`));
    expect(learnerOf(given!.split(';')[0])).not.toBe(anonymousLearner);
    const api = await fetch(`${server.url}/api/labs/lb`);
    expect(api.headers.getSetCookie()).toEqual([]);
    const again = await fetch(`${server.url}/lessons`, { headers: { accept: 'text/html', cookie: given!.split(';')[0]! } });
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it.each([
    [undefined, anonymousLearner],
    ['', anonymousLearner],
    [`${learnerCookie}=short`, anonymousLearner],
    [`${learnerCookie}=anonymous`, anonymousLearner],
    [`other=1; ${learnerCookie}=AAAAAAAAAAAAAAAAAAAAAA; x=y`, 'AAAAAAAAAAAAAAAAAAAAAA'],
  ])('learnerOf(%j) is %j', (header, expected) => {
    expect(learnerOf(header)).toBe(expected);
  });

  it('only the crash guard lets ?everyone=true stop an instance for all', async () => {
    // The guard, wired through startLabs' `crash` option into the routes (main.ts: the presenter).
    const strict = await startLabs({ crash: () => false });
    const strictServer = await listen(strict.options);
    try {
      const refused = await fetch(`${strictServer.url}/api/labs/lb/instances/a/kill?everyone=true`, { method: 'POST' });
      expect(refused.status).toBe(403);
      expect(strict.lb.state().instances.every((i) => i.running)).toBe(true);
      const mine = await fetch(`${strictServer.url}/api/labs/lb/instances/a/kill`, { method: 'POST' });
      expect(((await mine.json()) as BalancerState).instances[0]).toMatchObject({ alive: false, running: true });
    } finally {
      await strictServer.close();
      await strict.close();
    }
    const crashed = (await (await fetch(`${server.url}/api/labs/lb/instances/c/kill?everyone=true`, { method: 'POST' })).json()) as BalancerState;
    expect(crashed.instances.find((i) => i.id === 'c')).toMatchObject({ alive: false, running: false });
    const b = learner();
    expect((await b.state()).instances.find((i) => i.id === 'c')).toMatchObject({ alive: false, running: false });
    // Any learner's revive starts it again.
    expect(((await (await b.call('POST', '/api/labs/lb/instances/c/revive')).json()) as BalancerState).instances.find((i) => i.id === 'c')).toMatchObject({
      alive: true,
      running: true,
    });
  });
});

describe('LearnerStates', () => {
  it('keeps at most `max` learners, dropping the least recently used, and never the anonymous one', () => {
    const store = new LearnerStates({ create: (id) => ({ id, busy: false }), max: 3, evictable: (s) => !s.busy });
    store.get(anonymousLearner).busy = true;
    for (const id of ['p', 'q', 'r']) store.get(id);
    store.get('p');
    store.get('s');
    expect(store.peek('q')).toBeUndefined();
    expect([...store.values()].map((s) => s.id)).toEqual([anonymousLearner, 'r', 'p', 's']);
    // A busy learner is passed over while an idle one can go.
    store.get('r').busy = true;
    store.get('t');
    expect(store.peek('p')).toBeUndefined();
    expect(store.peek('r')).toBeDefined();
    for (let i = 0; i < 2000; i++) store.get(`hall-${i}`);
    expect(store.size).toBe(3);
    expect(store.peek(anonymousLearner)?.busy).toBe(true);
    // Reading makes nothing.
    expect(store.peek('never')).toBeUndefined();
    expect(store.size).toBe(3);
  });
});
