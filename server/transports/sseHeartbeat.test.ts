import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../testing/listen.ts';

// The server's default heartbeat: 100 ms of quiet.
let server: Listening;
beforeAll(async () => {
  server = await listen({ heartbeatMs: 100 });
});
afterAll(() => server.close());

const thinking = 'text=hi&ttft=450&tps=1000&jitter=0';
const comments = (body: string): number => body.match(/^: keep-alive\n\n/gm)?.length ?? 0;

describe('GET /api/stream/sse?heartbeat=', () => {
  it("sends the server's default heartbeat without the parameter", async () => {
    const body = await (await fetch(`${server.url}/api/stream/sse?${thinking}`)).text();
    expect(comments(body)).toBeGreaterThanOrEqual(3);
  });

  it('heartbeat=0 sends no keep-alive comment at all, and the same reply', async () => {
    const [quiet, normal] = await Promise.all([
      fetch(`${server.url}/api/stream/sse?${thinking}&heartbeat=0`).then((r) => r.text()),
      fetch(`${server.url}/api/stream/sse?${thinking}`).then((r) => r.text()),
    ]);
    expect(comments(quiet)).toBe(0);
    expect(quiet).toBe(normal.replaceAll(': keep-alive\n\n', ''));
  });

  it('heartbeat=ms sets the quiet before each comment', async () => {
    const body = await (await fetch(`${server.url}/api/stream/sse?${thinking}&heartbeat=200`)).text();
    // 450 ms of thinking: comments at 200 and 400 ms.
    expect(comments(body)).toBe(2);
  });

  it.each(['50', '60001', '-1', '1.5', 'off', ''])('heartbeat=%s is a 400 naming "heartbeat" (the empty value means the default)', async (value) => {
    const response = await fetch(`${server.url}/api/stream/sse?text=hi&tps=1000&ttft=0&heartbeat=${value}`);
    if (value === '') {
      expect(response.status).toBe(200);
      await response.body?.cancel();
      return;
    }
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { param: string; detail: string };
    expect(problem.param).toBe('heartbeat');
    expect(problem.detail).toContain('"heartbeat"');
  });

  it('a repeated heartbeat is a 400', async () => {
    const response = await fetch(`${server.url}/api/stream/sse?text=hi&heartbeat=0&heartbeat=100`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { param: string }).param).toBe('heartbeat');
  });
});
