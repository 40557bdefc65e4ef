/**
 * `LoadBalancer.close()` with streams, WebSockets and a live view open through the balancer
 * leaves no timer or socket behind.
 */
import { expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startLab } from './testLab.ts';
import { until } from '../../testing/until.ts';

function resources(): { timers: number; immediates: number; sockets: number; servers: number } {
  const all = process.getActiveResourcesInfo();
  const count = (name: string): number => all.filter((r) => r === name).length;
  return { timers: count('Timeout'), immediates: count('Immediate'), sockets: count('TCPSocketWrap'), servers: count('TCPServerWrap') };
}

const atMost = (baseline: ReturnType<typeof resources>) => (): boolean => {
  const now = resources();
  return (Object.keys(baseline) as (keyof typeof baseline)[]).every((k) => now[k] <= baseline[k]);
};

/** Opens one of everything through the balancer, kills and revives an instance, then closes it all. */
async function scenario(): Promise<void> {
  const lab = await startLab();
  const stream = await fetch(`${lab.url}/lb/api/stream/sse?prompt=on-the-wire&tps=100&ttft=0`);
  const reader = stream.body!.getReader();
  await reader.read();
  const view = await fetch(`${lab.url}/api/labs/lb/events`);
  const viewReader = view.body!.getReader();
  await viewReader.read();
  const ws = new WebSocket(`${lab.url.replace('http', 'ws')}/lb/api/stream/ws`);
  ws.on('error', () => {});
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await new Promise<void>((resolve) => ws.once('open', () => resolve()));
  ws.send(JSON.stringify({ type: 'start', prompt: 'on-the-wire', tps: 100, ttft: 0 }));
  await new Promise<void>((resolve) => ws.once('message', () => resolve()));
  await (await fetch(`${lab.url}/lb/api/stream/http?text=hi&tps=200&ttft=0`)).text();
  await lab.lb.kill('c');
  await lab.lb.revive('c');
  expect(lab.lb.state().instances.reduce((n, i) => n + i.open, 0)).toBeGreaterThanOrEqual(2);

  await lab.close();
  await closed;
  await reader.read().catch(() => {});
  await viewReader.read().catch(() => {});
}

it('close() stops every instance and cuts every stream: no timer or socket left', { timeout: 20_000 }, async () => {
  // Warm up first: fetch and ws create lazy singletons (timer wheels) the first time round.
  const before = resources();
  await scenario();
  await until(atMost(before), () => ({ before, now: resources() }));
  const baseline = resources();

  await scenario();
  await until(atMost(baseline), () => ({ baseline, now: resources(), all: process.getActiveResourcesInfo() }));
});
