import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listen, type Listening } from '../../testing/listen.ts';
import { readSseEvents } from '../../testing/sseEvents.ts';
import { replyFor } from '../../model/reply.ts';
import { parseSettings } from '../../model/settings.ts';
import { duplexLab } from './duplexLab.ts';

const lab = duplexLab();
let server: Listening;
beforeAll(async () => {
  server = await listen({ routes: (app, ctx) => lab.routes(app, ctx), upgrade: (req, socket, head, { tap }) => lab.upgrade(req, socket, head, tap) });
});
afterAll(async () => {
  lab.close();
  await server.close();
});

const wsUrl = (path: string): string => `${server.url.replace('http', 'ws')}${path}`;

/** Opens a socket, runs `talk` once it is open, and collects every message until the close. */
function session(
  path: string,
  talk: (ws: WebSocket, received: Record<string, unknown>[]) => void,
  headers: Record<string, string> = {},
): Promise<{ received: Record<string, unknown>[]; code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(path), { headers });
    const received: Record<string, unknown>[] = [];
    ws.on('open', () => talk(ws, received));
    ws.on('message', (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
    ws.on('close', (code, reason) => resolve({ received, code, reason: String(reason) }));
    ws.on('error', reject);
  });
}

function resources(): { timers: number; sockets: number } {
  const all = process.getActiveResourcesInfo();
  return { timers: all.filter((r) => r === 'Timeout').length, sockets: all.filter((r) => r === 'TCPSocketWrap').length };
}

async function settled(baseline: ReturnType<typeof resources>): Promise<void> {
  const deadline = performance.now() + 3000;
  // Idle keep-alive connections of the test's own fetch pool are not the server's to keep.
  server.server.closeIdleConnections();
  for (;;) {
    const open = await new Promise<number>((resolve, reject) => server.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    const now = resources();
    if (server.limiter.open === 0 && open === 0 && now.timers <= baseline.timers && now.sockets <= baseline.sockets) return;
    if (performance.now() > deadline) throw new Error(`left behind: ${JSON.stringify({ streams: server.limiter.open, connections: open, now, baseline })}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const words = 'many small messages both ways on one connection'.split(' ');

describe('/api/labs/duplex/ws (many small messages both ways)', () => {
  it('echoes each message at once, in order, then ends with done and close 1000', async () => {
    const { received, code } = await session('/api/labs/duplex/ws', (ws) => {
      words.forEach((text, index) => ws.send(JSON.stringify({ type: 'say', index, text })));
      ws.send(JSON.stringify({ type: 'end' }));
    });
    expect(received.slice(0, -1)).toEqual(words.map((text, index) => ({ type: 'echo', index, text })));
    expect(received.at(-1)).toEqual({ type: 'done', messages: words.length });
    expect(code).toBe(1000);
  });

  it('answers each message before the next is sent: a round trip per message on one connection', async () => {
    const { received } = await session('/api/labs/duplex/ws', (ws, got) => {
      let index = 0;
      const next = (): void => {
        if (index === words.length) return void ws.send(JSON.stringify({ type: 'end' }));
        ws.send(JSON.stringify({ type: 'say', index, text: words[index++] }));
      };
      ws.on('message', () => got.length <= words.length && next());
      next();
    });
    expect(received.filter((m) => m.type === 'echo').map((m) => m.text)).toEqual(words);
  });

  it.each([
    ['binary', Buffer.from([1, 2, 3]), 1003],
    ['not JSON', '{"type":', 1007],
    ['an unknown type', '{"type":"start"}', 1008],
    ['a negative index', '{"type":"say","index":-1,"text":"a"}', 1008],
    ['an empty text', '{"type":"say","index":0,"text":""}', 1008],
    ['a text of 1,001 characters', JSON.stringify({ type: 'say', index: 0, text: 'a'.repeat(1001) }), 1008],
    ['an unknown field', '{"type":"say","index":0,"text":"a","extra":1}', 1008],
    ['an array', '[1]', 1008],
  ])('%s gets an error message and close %i', async (_name, message, expected) => {
    const { received, code } = await session('/api/labs/duplex/ws', (ws) => ws.send(message));
    expect(received[0]).toMatchObject({ type: 'error', code: expected });
    expect(code).toBe(expected);
  });

  it('refuses a page from a foreign origin (403)', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl('/api/labs/duplex/ws'), { headers: { Origin: 'http://evil.example' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });

  it('leaves no stream, connection, timer or socket behind, closed by either side', async () => {
    const baseline = resources();
    await session('/api/labs/duplex/ws', (ws) => {
      ws.send(JSON.stringify({ type: 'say', index: 0, text: 'bye' }));
      ws.close();
    });
    await session('/api/labs/duplex/ws', (ws) => ws.send('{"type":"end"}'));
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(wsUrl('/api/labs/duplex/ws'));
      ws.on('open', () => {
        ws.terminate();
        resolve();
      });
    });
    await settled(baseline);
  });
});

describe('POST /api/labs/duplex/echo (one request per message)', () => {
  const post = (body: string, query = ''): Promise<Response> =>
    fetch(`${server.url}/api/labs/duplex/echo${query}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

  it('answers the message as JSON', async () => {
    const response = await post('{"index":3,"text":"hello"}', '?run=r1');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ index: 3, text: 'hello' });
  });

  it.each([
    ['{"index":1}', '', 'text'],
    ['{"index":"1","text":"a"}', '', 'index'],
    ['{"index":1,"text":"a","type":"end"}', '', 'type'],
    ['{"index":1,"text":"a","more":true}', '', 'more'],
    ['{"index":1,', '', 'body'],
    ['{"index":1,"text":"a"}', '?tps=5', 'tps'],
    ['{"index":1,"text":"a"}', '?run=no%20spaces', 'run'],
  ])('%s%s is a 400 naming "%s"', async (body, query, param) => {
    const response = await post(body, query);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { param: string }).param).toBe(param);
  });

  it('refuses a body over 4 KiB (413)', async () => {
    expect((await post(JSON.stringify({ index: 0, text: 'a'.repeat(5000) }))).status).toBe(413);
  });
});

describe('stopping a reply', () => {
  const settings = { prompt: 'what-is-sse', tps: '50', ttft: '0', jitter: '0' };
  const total = replyFor(parseSettings(settings)).tokens.length;
  const query = new URLSearchParams(settings).toString();

  it("SSE: a POST with the stream's run stops it, and the stream ends with a done event that says so", async () => {
    const response = await fetch(`${server.url}/api/labs/duplex/stop/sse?${query}&run=stop-sse-1`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('id: 4\n')) text += decoder.decode((await reader.read()).value, { stream: true });
    const stop = await fetch(`${server.url}/api/labs/duplex/stop/sse?run=stop-sse-1`, { method: 'POST' });
    expect(stop.status).toBe(204);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const events = await readSseEvents(new Response(text));
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    expect(tokens.length).toBeLessThan(total);
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ stopped: true, sent: tokens.length });
    // Stopped once: the run is no longer open.
    expect((await fetch(`${server.url}/api/labs/duplex/stop/sse?run=stop-sse-1`, { method: 'POST' })).status).toBe(404);
  });

  it('SSE: the stream needs a run, and a stop names one', async () => {
    expect((await fetch(`${server.url}/api/labs/duplex/stop/sse?${query}`)).status).toBe(400);
    expect((await fetch(`${server.url}/api/labs/duplex/stop/sse`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${server.url}/api/labs/duplex/stop/sse?run=nobody`, { method: 'POST' })).status).toBe(404);
  });

  it('SSE: without a stop, the reply ends as usual', async () => {
    const events = await readSseEvents(await fetch(`${server.url}/api/labs/duplex/stop/sse?${query}&tps=1000&run=stop-sse-2`.replace('tps=50&', '')));
    expect(events.filter((e) => e.event === 'token')).toHaveLength(total);
    expect(JSON.parse(events.at(-1)!.data)).not.toHaveProperty('stopped');
  });

  it('WebSocket: {"type":"stop"} on the same connection ends the reply, close 1000 "stopped"', async () => {
    const { received, code, reason } = await session('/api/labs/duplex/stop/ws', (ws, got) => {
      ws.send(JSON.stringify({ type: 'start', ...settings, tps: 50 }));
      ws.on('message', () => got.length === 5 && ws.send('{"type":"stop"}'));
    });
    expect(code).toBe(1000);
    expect(reason).toBe('stopped');
    const tokens = received.filter((m) => m.type === 'token').length;
    expect(tokens).toBeGreaterThanOrEqual(5);
    expect(tokens).toBeLessThan(total);
  });

  it('leaves no stream, connection, timer or socket behind after a stop', async () => {
    const baseline = resources();
    await session('/api/labs/duplex/stop/ws', (ws, got) => {
      ws.send(JSON.stringify({ type: 'start', ...settings, tps: 50 }));
      ws.on('message', () => got.length === 2 && ws.send('{"type":"stop"}'));
    });
    await settled(baseline);
  });
});
