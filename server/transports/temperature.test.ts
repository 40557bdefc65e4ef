/**
 * The `temperature` setting over real sockets: 0 is the scripted reply byte for byte; above 0
 * a seeded reply says the same again, an unseeded one differs per generation, and its log holds
 * what was said.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../testing/listen.ts';
import { readSseEvents } from '../testing/sseEvents.ts';
import { replyFor } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';
import { replyHeader } from '../../shared/replyHeader.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen();
});
afterAll(() => server.close());

const fast = 'prompt=what-is-sse&tps=1000&ttft=0';
const scripted = replyFor(parseSettings({ prompt: 'what-is-sse' })).text;

async function sse(query: string): Promise<{ id: string | null; text: string }> {
  const response = await fetch(`${server.url}/api/stream/sse?${query}`);
  const events = await readSseEvents(response);
  const text = events
    .filter((e) => e.event === 'token')
    .map((e) => (JSON.parse(e.data) as { text: string }).text)
    .join('');
  return { id: response.headers.get(replyHeader), text };
}

describe('temperature', () => {
  it('0 (given or not) is the scripted reply, under the same id', async () => {
    const [plain, zero] = [await sse(fast), await sse(`${fast}&temperature=0`)];
    expect(plain.text).toBe(scripted);
    expect(zero).toEqual(plain);
  });

  it('above 0 with a seed: sampled words, the same on every run', async () => {
    const [a, b] = [await sse(`${fast}&temperature=1.5&seed=4`), await sse(`${fast}&temperature=1.5&seed=4`)];
    expect(a.text).not.toBe(scripted);
    expect(b).toEqual(a);
  });

  it('above 0 without a seed: each generation its own words and its own id; the log holds them', async () => {
    const [a, b] = [await sse(`${fast}&temperature=2`), await sse(`${fast}&temperature=2`)];
    expect(a.text).not.toBe(b.text);
    expect(a.id).not.toBe(b.id);
    const log = (await (await fetch(`${server.url}/api/replies/${a.id}`)).json()) as { tokens: { text: string }[]; done: boolean };
    expect(log.done).toBe(true);
    expect(log.tokens.map((t) => t.text).join('')).toBe(a.text);
  });

  it('is a body field on /v1', async () => {
    const body = { model: 'streamscope', messages: [{ role: 'user', content: 'what-is-sse' }], tps: 1000, ttft: 0, temperature: 1, seed: 9 };
    const ask = async () => {
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return ((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    };
    const text = await ask();
    expect(text).not.toBe(scripted);
    expect(await ask()).toBe(text);
  });

  it.each(['-0.1', '2.5', 'warm'])('temperature=%s is a 400 naming it', async (value) => {
    const response = await fetch(`${server.url}/api/stream/sse?temperature=${value}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ param: 'temperature', detail: expect.stringMatching(/from 0 to 2/) as unknown });
  });
});

describe('Last-Event-ID of a sampled reply', () => {
  let server: Listening;
  beforeAll(async () => {
    server = await listen();
  });
  afterAll(() => server.close());

  it.each([
    ['a draw on a reply that is not sampled', 'prompt=what-is-sse&tps=1000&ttft=0', 'abc:3'],
    ['a draw on a seeded sample (its URL names it)', 'prompt=what-is-sse&tps=1000&ttft=0&temperature=1&seed=4', 'abc:3'],
    ['an index past the draw’s end', 'prompt=what-is-sse&tps=1000&ttft=0&temperature=1', 'abc:100000'],
    ['a draw too large', 'prompt=what-is-sse&tps=1000&ttft=0&temperature=1', 'zzzzzzz:1'],
  ])('%s is a 400 naming the header', async (_, query, header) => {
    const response = await fetch(`${server.url}/api/stream/sse?${query}`, { headers: { 'Last-Event-ID': header } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ param: 'Last-Event-ID' });
  });
});
