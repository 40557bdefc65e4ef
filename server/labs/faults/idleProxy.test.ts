import net from 'node:net';
import http from 'node:http';
import express from 'express';
import { problemHandler } from '../../problem.ts';
import { idleProxyRoute } from './idleProxy.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { listen, type Listening } from '../../testing/listen.ts';
import { replyFor } from '../../model/reply.ts';
import { parseSettings } from '../../model/settings.ts';
import { faultsRoutes } from './faultsRoutes.ts';
import { dechunk, rawGet } from '../../testing/rawHttp.ts';

// The server's own heartbeat every 100 ms: shorter than the proxy's idle timeouts below.
let server: Listening;
beforeAll(async () => {
  server = await listen({ heartbeatMs: 100, retryMs: 50, routes: (app, ctx) => app.use(faultsRoutes(ctx)) });
});
afterAll(() => server.close());

const text = 'Thinking takes a while; then the words come quickly.';
const expected = replyFor(parseSettings({ text }));
/** 600 ms of thinking, then every token at once: longer than the idle timeouts of the tests. */
const thinking = `text=${encodeURIComponent(text)}&ttft=600&tps=1000&jitter=0`;

function resources(): { timers: number; sockets: number } {
  const all = process.getActiveResourcesInfo();
  return { timers: all.filter((r) => r === 'Timeout').length, sockets: all.filter((r) => r === 'TCPSocketWrap').length };
}

function connections(): Promise<number> {
  return new Promise((resolve, reject) => server.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
}

/** Waits until no stream is counted, no connection is open and no timer or socket is left beyond `baseline`. */
async function settled(baseline: ReturnType<typeof resources>): Promise<void> {
  const deadline = performance.now() + 3000;
  // Idle keep-alive connections of the test's own fetch pool are not the server's to keep.
  server.server.closeIdleConnections();
  for (;;) {
    const now = resources();
    const open = await connections();
    if (server.limiter.open === 0 && open === 0 && now.timers <= baseline.timers && now.sockets <= baseline.sockets) return;
    if (performance.now() > deadline) throw new Error(`left behind: ${JSON.stringify({ streams: server.limiter.open, connections: open, now, baseline })}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const tokenTexts = (payload: string): string[] => [...payload.matchAll(/^data: (\{"index".*)$/gm)].map((m) => (JSON.parse(m[1]!) as { text: string }).text);

describe('GET /api/labs/faults/idle-proxy/quiet/sse (no heartbeats)', () => {
  it('cuts the connection after `idle` ms with no byte, before the first token, with no terminating chunk', async () => {
    const started = performance.now();
    const response = await rawGet(`${server.url}/api/labs/faults/idle-proxy/quiet/sse?${thinking}&idle=250`);
    const elapsed = performance.now() - started;
    expect(response.status).toBe(200);
    expect(response.headers.via).toBe('1.1 streamscope-idle-proxy');
    expect(response.ended).toBe('end');
    // Cut after the idle timeout, well before the 600 ms of thinking were over.
    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(elapsed).toBeLessThan(550);
    const { payload, complete } = dechunk(response.body);
    expect(complete).toBe(false);
    // The retry hint, then silence: no comment, no token.
    expect(payload.toString()).toBe('retry: 50\n\n');
  });

  it('leaves no stream, connection, timer or socket behind after the cut', async () => {
    const baseline = resources();
    await rawGet(`${server.url}/api/labs/faults/idle-proxy/quiet/sse?${thinking}&idle=150`);
    await settled(baseline);
  });

  it('lets a reply through whose gaps are all shorter than the idle timeout', async () => {
    const response = await rawGet(`${server.url}/api/labs/faults/idle-proxy/quiet/sse?text=${encodeURIComponent(text)}&ttft=0&tps=50&jitter=0&idle=400`);
    const { payload, complete } = dechunk(response.body);
    expect(complete).toBe(true);
    expect(tokenTexts(payload.toString()).join('')).toBe(expected.tokens.join(''));
  });

  it('answers Last-Event-ID like the server: the stream resumes after it', async () => {
    const response = await rawGet(`${server.url}/api/labs/faults/idle-proxy/quiet/sse?text=${encodeURIComponent(text)}&ttft=0&tps=1000&idle=400`, {
      'Last-Event-ID': '3',
    });
    expect(tokenTexts(dechunk(response.body).payload.toString()).join('')).toBe(expected.tokens.slice(4).join(''));
  });
});

describe("GET /api/labs/faults/idle-proxy/sse (the server's heartbeats)", () => {
  it('stays open while `: keep-alive` comments flow, and the whole reply arrives', async () => {
    const response = await rawGet(`${server.url}/api/labs/faults/idle-proxy/sse?${thinking}&idle=250`);
    const { payload, complete } = dechunk(response.body);
    expect(complete).toBe(true);
    const body = payload.toString();
    // 600 ms of thinking, a comment every 100 ms of quiet.
    expect(body.match(/^: keep-alive\n\n/gm)?.length).toBeGreaterThanOrEqual(3);
    expect(body.indexOf(': keep-alive')).toBeLessThan(body.indexOf('event: token'));
    expect(tokenTexts(body).join('')).toBe(expected.tokens.join(''));
    expect(body).toContain('event: done');
  });

  it('still cuts when the heartbeat is slower than the idle timeout (heartbeat=400, idle=250)', async () => {
    const response = await rawGet(`${server.url}/api/labs/faults/idle-proxy/sse?${thinking}&idle=250&heartbeat=400`);
    const { payload, complete } = dechunk(response.body);
    expect(complete).toBe(false);
    expect(payload.toString()).not.toContain(': keep-alive');
  });

  it('leaves no stream, connection, timer or socket behind after a complete reply', async () => {
    const baseline = resources();
    await rawGet(`${server.url}/api/labs/faults/idle-proxy/sse?${thinking}&idle=250`);
    await settled(baseline);
  });

  it('leaves nothing behind when the client goes away while the proxy waits', async () => {
    const baseline = resources();
    // A raw socket (fetch's pool would keep a spare connection of its own open after an abort).
    const socket = net.connect(server.port, '127.0.0.1');
    socket.write(`GET /api/labs/faults/idle-proxy/sse?${thinking}&idle=5000 HTTP/1.1\r\nHost: x\r\n\r\n`);
    const head = await new Promise<string>((resolve) => socket.once('data', (bytes: Buffer) => resolve(bytes.toString('latin1'))));
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    socket.destroy();
    await settled(baseline);
  });
});

describe('a server that sends nothing at all, not even its head', () => {
  it('gets a 504 from the proxy after `idle` ms, and the proxy lets go of its upstream request', async () => {
    // A bare app: its /api/stream/sse takes the request and never answers.
    let upstreamClosed = false;
    const app = express();
    app.get('/api/stream/sse', (req) => req.on('close', () => (upstreamClosed = true)));
    app.get('/proxy', idleProxyRoute());
    app.use(problemHandler);
    const silent = http.createServer(app);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/proxy?idle=200`);
      expect(performance.now() - started).toBeGreaterThanOrEqual(190);
      expect(response.status).toBe(504);
      const problem = (await response.json()) as { detail: string; param: string };
      expect(problem.param).toBe('idle');
      expect((problem as { title?: string }).title).toBe('Gateway Timeout');
      expect(problem.detail).toContain('200 ms');
      await expect.poll(() => upstreamClosed).toBe(true);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('EventSource through the idle-timeout proxy', () => {
  it('without heartbeats: reconnects after each cut, and each new connection starts the wait over', async () => {
    let connections = 0;
    const errors = await new Promise<number>((resolve) => {
      let failures = 0;
      const source = new EventSource(`${server.url}/api/labs/faults/idle-proxy/quiet/sse?${thinking}&idle=150`, {
        fetch: (url, init) => {
          connections++;
          return fetch(url, init);
        },
      });
      source.addEventListener('token', () => {
        source.close();
        resolve(-1);
      });
      source.onerror = () => {
        if (++failures === 3) {
          source.close();
          resolve(failures);
        }
      };
    });
    // Three cuts, three connections, and not one token: no id arrived, so no Last-Event-ID to resume from.
    expect(errors).toBe(3);
    expect(connections).toBe(3);
  });
});

describe('parameters', () => {
  it.each([
    ['/api/labs/faults/idle-proxy/sse?idle=50', 'idle'],
    ['/api/labs/faults/idle-proxy/sse?idle=soon', 'idle'],
    ['/api/labs/faults/idle-proxy/sse?idle=1&idle=2', 'idle'],
    ['/api/labs/faults/idle-proxy/sse?heartbeat=50', 'heartbeat'],
    ['/api/labs/faults/idle-proxy/sse?heartbeat=-1', 'heartbeat'],
    ['/api/labs/faults/idle-proxy/quiet/sse?heartbeat=off', 'heartbeat'],
    ['/api/labs/faults/idle-proxy/sse?holdBytes=10', 'holdBytes'],
    ['/api/labs/faults/idle-proxy/sse?ttft=40000', 'ttft'],
  ])('%s is a 400 naming "%s"', async (path, param) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { param: string; detail: string };
    expect(problem.param).toBe(param);
    expect(problem.detail).toContain(`"${param}"`);
  });
});
