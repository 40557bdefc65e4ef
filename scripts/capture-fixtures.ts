/**
 * Captures real wire bytes from a real Streamscope server for the dissector tests:
 * one fixture per transport in client/src/wire/fixtures/. Run: npm run fixtures
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createParser } from 'eventsource-parser';
import WebSocket from 'ws';
import { listen } from '../server/testing/listen.ts';
import type { TapEvent } from '../shared/tap.ts';

export const fixtureText = 'Hello, wire!\nSecond line 👋🏽 with data: inside\r\nand a Japanese 日本語 end.';
const settings = { text: fixtureText, tps: '1000', ttft: '0', jitter: '0', seed: '1' };
const out = path.resolve(import.meta.dirname, '../client/src/wire/fixtures');

const server = await listen();
const events: TapEvent[] = [];
const tap = await fetch(`${server.url}/api/tap?run=fixture`);
const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data) as TapEvent) });
void (async () => {
  const decoder = new TextDecoder();
  for await (const chunk of tap.body!) parser.feed(decoder.decode(chunk, { stream: true }));
})().catch(() => {});

const query = new URLSearchParams({ ...settings, run: 'fixture' });
const captures: Record<string, () => Promise<unknown>> = {
  sse: () => fetch(`${server.url}/api/stream/sse?${query}`, { headers: { Connection: 'close' } }).then((r) => r.text()),
  http: () => fetch(`${server.url}/api/stream/http?${query}`, { headers: { Connection: 'close' } }).then((r) => r.text()),
  openai: () =>
    fetch(`${server.url}/v1/chat/completions?run=fixture`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Connection: 'close' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: fixtureText }], stream: true, tps: 1000, ttft: 0, jitter: 0 }),
    }).then((r) => r.text()),
  ws: () =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/stream/ws?run=fixture`);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'start', text: fixtureText, tps: 1000, ttft: 0, jitter: 0 })));
      ws.on('close', resolve);
      ws.on('error', reject);
    }),
};

for (const [name, capture] of Object.entries(captures)) {
  events.length = 0;
  await capture();
  // Wait for the connection's close to come through the tap.
  for (let i = 0; i < 100 && !events.some((e) => e.type === 'close'); i++) await new Promise((r) => setTimeout(r, 20));
  const bytes = events.filter((e) => e.type === 'read' || e.type === 'write');
  const fixture = {
    comment: `Captured from a real Streamscope server by scripts/capture-fixtures.ts (${name}).`,
    text: fixtureText,
    events: bytes.map((e) => ({ t: e.t, dir: e.type === 'read' ? 'up' : 'down', data: e.data, ...(e.type === 'write' ? { parts: e.parts } : {}) })),
  };
  writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`${name}: ${fixture.events.length} events`);
}
await tap.body?.cancel().catch(() => {});
await server.close();
