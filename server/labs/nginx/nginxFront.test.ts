/**
 * The load-balancer lab behind real nginx, over real sockets: streams pass token by token
 * (the instances' `X-Accel-Buffering: no` turns nginx's buffering off), an SSE stream resumes on
 * another instance after its own is killed, WebSockets are upgraded, cookies pin clients.
 * Skipped, saying why, where nginx is not installed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';
import { replyFor } from '../../model/reply.ts';
import { parseSettings } from '../../model/settings.ts';
import { LoadBalancer } from '../loadBalancer/LoadBalancer.ts';
import { cookieFetch } from '../loadBalancer/testLab.ts';
import { until } from '../../testing/until.ts';
import { findNginx, startNginx, type NginxFront } from './nginxFront.ts';
import { nginxPaths } from './nginxConfig.ts';
import { startLabs } from '../labs.ts';

const nginx = findNginx();

describe.skipIf(!nginx)(
  `the load-balancer lab behind real nginx${nginx ? ` (${nginx})` : ' — skipped: nginx is not installed (apt-get install nginx-light, or set NGINX_PATH)'}`,
  () => {
    let lb: LoadBalancer;
    let front: NginxFront;
    beforeAll(async () => {
      lb = await LoadBalancer.start({ backend: { retryMs: 20 } });
      front = await startNginx({ instances: lb.state().instances });
    });
    afterAll(async () => {
      await front?.close();
      await lb?.close();
    });
    afterEach(async () => {
      await Promise.all(['a', 'b', 'c'].map((id) => lb.revive(id)));
    });

    it('streams SSE token by token: the first token arrives while the next is seconds away', async () => {
      const abort = new AbortController();
      const response = await fetch(`${front.url}/api/stream/sse?text=${encodeURIComponent('one two three four five')}&tps=0.5&ttft=0`, {
        signal: abort.signal,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      expect(response.headers.get('x-streamscope-instance')).toMatch(/^[abc]$/);
      // nginx obeys X-Accel-Buffering and keeps it to itself.
      expect(response.headers.get('x-accel-buffering')).toBeNull();
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let soFar = '';
      while (!soFar.includes('event: token')) soFar += (await reader.read()).value ?? '';
      expect(soFar).toContain('"index":0');
      expect(soFar).not.toContain('"index":1');
      abort.abort();
      await reader.cancel().catch(() => {});
    });

    it("resumes with Last-Event-ID on another instance when the stream's own is killed: no token lost or repeated", async () => {
      const expected = replyFor(parseSettings({ prompt: 'what-is-sse' }));
      const client = cookieFetch();
      const received: { id: number; text: string }[] = [];
      const source = new EventSource(`${front.url}/api/stream/sse?prompt=what-is-sse&tps=150&ttft=0`, { fetch: client.fetch });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no done event; got ${received.length} tokens: ${JSON.stringify(client.seen)}`)), 10_000);
        source.addEventListener('token', (event) => {
          received.push({ id: Number(event.lastEventId), text: (JSON.parse(event.data) as { text: string }).text });
          if (received.length === 5) void lb.kill(client.seen[0]!.instance!);
        });
        source.addEventListener('done', () => {
          clearTimeout(timer);
          resolve();
        });
      }).finally(() => source.close());
      expect(received.map((r) => r.text).join('')).toBe(expected.text);
      expect(received.map((r) => r.id)).toEqual(expected.tokens.map((_, i) => i));
      const [before, ...after] = client.seen;
      expect(after.length).toBeGreaterThanOrEqual(1);
      expect(after.at(-1)!.instance).not.toBe(before!.instance);
      expect(Number(after.at(-1)!.lastEventId)).toBeGreaterThanOrEqual(4);
    });

    it('upgrades WebSockets: the handshake names its instance, the reply streams whole', async () => {
      const ws = new WebSocket(`${front.url.replace('http', 'ws')}/api/stream/ws`);
      const instance = new Promise<string>((resolve) => ws.once('upgrade', (response) => resolve(String(response.headers['x-streamscope-instance']))));
      const texts: string[] = [];
      const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
      ws.on('open', () => ws.send(JSON.stringify({ type: 'start', text: 'through nginx', tps: 1000, ttft: 0 })));
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; text?: string };
        if (message.type === 'token') texts.push(message.text ?? '');
      });
      expect(await instance).toMatch(/^[abc]$/);
      expect(await closed).toBe(1000);
      expect(texts.join('')).toBe('through nginx');
    });

    it(`spreads requests round robin, and under ${nginxPaths.sticky} pins a client by its cookie`, async () => {
      const spread = new Set<string | null>();
      for (let i = 0; i < 6; i++) spread.add((await fetch(`${front.url}/api/prompts`)).headers.get('x-streamscope-instance'));
      expect(spread).toEqual(new Set(['a', 'b', 'c']));

      const client = cookieFetch();
      for (let i = 0; i < 6; i++) expect((await client.fetch(`${front.url}${nginxPaths.sticky}api/prompts`)).status).toBe(200);
      expect(client.cookies.get('streamscope_lb')).toMatch(/^[0-9a-f]{32}$/);
      expect(new Set(client.seen.map((s) => s.instance)).size).toBe(1);
    });

    it('stops on close: nothing answers on its port any more, and its folder is gone', async () => {
      const second = await startNginx({ instances: lb.state().instances });
      expect((await fetch(`${second.url}/api/prompts`)).status).toBe(200);
      await second.close();
      await expect(fetch(`${second.url}/api/prompts`)).rejects.toThrow();
      const { existsSync } = await import('node:fs');
      await until(
        () => !existsSync(second.dir),
        () => second.dir,
      );
    });
  },
);

describe('startLabs({ nginx: true }), as npm start calls it', () => {
  it(nginx ? "puts nginx in front of the lab's instances, and stops it with the labs" : 'runs the labs without nginx and says how to install it', async () => {
    const labs = await startLabs({ nginx: true });
    try {
      if (!nginx) {
        expect(labs.nginx).toBeNull();
        expect(labs.nginxSkipped).toContain('apt-get install nginx-light');
        return;
      }
      expect(labs.nginxSkipped).toBeNull();
      const response = await fetch(`${labs.nginx!.url}/api/prompts`);
      expect(response.headers.get('x-streamscope-instance')).toMatch(/^[abc]$/);
    } finally {
      await labs.close();
    }
    await expect(fetch(`${labs.nginx!.url}/api/prompts`)).rejects.toThrow();
  });
});
