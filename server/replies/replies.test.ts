/**
 * The reply log over real sockets: every streamed response names its reply, `/api/replies/:id`
 * answers the log, two readers of one reply read the same tokens, a resume reads from the log,
 * and a reply whose last reader left stops generating (and a resume continues it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../testing/listen.ts';
import { readSseEvents } from '../testing/sseEvents.ts';
import { rawGet } from '../testing/rawHttp.ts';
import { until } from '../testing/until.ts';
import { replyFor } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';
import { replyHeader } from '../../shared/replyHeader.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen();
});
afterAll(() => server.close());

interface LogJson {
  id: string;
  tokens: { index: number; text: string }[];
  done: boolean;
  state: string;
}

async function logOf(id: string): Promise<LogJson> {
  const response = await fetch(`${server.url}/api/replies/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as LogJson;
}

const fast = { prompt: 'what-is-sse', tps: '1000', ttft: '0' };
const expected = replyFor(parseSettings(fast)).tokens.map((text, index) => ({ index, text }));
const query = (settings: Record<string, string>) => new URLSearchParams(settings).toString();

describe('X-Streamscope-Reply and GET /api/replies/:id', () => {
  it.each([
    ['SSE', () => fetch(`${server.url}/api/stream/sse?${query({ ...fast, run: 'named' })}`)],
    ['buffered', () => fetch(`${server.url}/api/stream/http?${query({ ...fast, run: 'named' })}`)],
    [
      'OpenAI',
      () =>
        fetch(`${server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ model: 'streamscope', stream: true, messages: [{ role: 'user', content: 'hi' }], ...fast, tps: 1000, ttft: 0 }),
        }),
    ],
    [
      'Anthropic',
      () =>
        fetch(`${server.url}/v1/messages`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            model: 'streamscope',
            max_tokens: 4096,
            stream: true,
            messages: [{ role: 'user', content: 'hi' }],
            ...fast,
            tps: 1000,
            ttft: 0,
          }),
        }),
    ],
  ])('%s names its reply, and the log holds its tokens', async (_name, request) => {
    const response = await request();
    expect(response.status).toBe(200);
    const id = response.headers.get(replyHeader);
    expect(id).toMatch(/^[a-z]+-[A-Za-z0-9_-]{16}$/);
    await response.text();
    await until(async () => (await logOf(id!)).done, 'the log to be done');
    expect(await logOf(id!)).toEqual({ id, tokens: expected, done: true, state: 'done' });
  });

  it('same settings, same id; another run, another id', async () => {
    const idOf = async (run: string) => {
      const response = await fetch(`${server.url}/api/stream/http?${query({ ...fast, run })}`);
      await response.text();
      return response.headers.get(replyHeader);
    };
    const [a, b, c] = [await idOf('same-id'), await idOf('same-id'), await idOf('other-id')];
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('an unknown id is a 404 problem+json that says why', async () => {
    const response = await fetch(`${server.url}/api/replies/sse-nothing-like-it`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as { status: number; detail: string; param: string };
    expect(problem).toMatchObject({ status: 404, param: 'id' });
    expect(problem.detail).toMatch(/sse-nothing-like-it.*expired.*10 minutes.*1000 logs/);
  });

  it('a failed reply: its log holds the tokens before the failure and says failed', async () => {
    const response = await fetch(`${server.url}/api/stream/sse?${query({ ...fast, fail: '3', run: 'fails' })}`);
    await response.text();
    const log = await logOf(response.headers.get(replyHeader)!);
    expect(log).toMatchObject({ done: false, state: 'failed', tokens: expected.slice(0, 3) });
  });
});

describe('readers of the log', () => {
  // 10 tokens, 100 ms apart: long enough to join, cut and resume while it generates.
  const paced = { text: 'one two three four five six seven eight nine ten', tps: '10', ttft: '0', jitter: '0' };
  const pacedTokens = replyFor(parseSettings(paced)).tokens;
  const tokensOf = (events: { event?: string; data: string }[]) =>
    events.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data) as { index: number; text: string });

  it('two readers of one reply get the same tokens: a resume joins the generating log', async () => {
    const url = `${server.url}/api/stream/sse?${query({ ...paced, run: 'two-readers' })}`;
    const first = await fetch(url);
    const id = first.headers.get(replyHeader)!;
    const firstEvents = readSseEvents(first);
    await until(async () => (await logOf(id)).tokens.length >= 3, 'three tokens in the log');
    const second = await fetch(url, { headers: { 'Last-Event-ID': '0' } });
    expect(second.headers.get(replyHeader)).toBe(id);
    const [a, b] = [tokensOf(await firstEvents), tokensOf(await readSseEvents(second))];
    expect(a.map((t) => t.text)).toEqual(pacedTokens);
    expect(b).toEqual(a.slice(1));
    // One generation: the log holds each token once.
    expect((await logOf(id)).tokens.map((t) => t.text)).toEqual(pacedTokens);
  });

  it('a resume after the end reads from the log at once instead of generating again', async () => {
    const url = `${server.url}/api/stream/sse?${query({ ...paced, tps: '4', run: 'resume-done' })}`;
    await (await fetch(url)).text();
    const started = performance.now();
    const resumed = await rawGet(url, { 'Last-Event-ID': '1' });
    // Regenerating 8 tokens at 4 per second would take 2 s; reading the log takes milliseconds,
    // so the bar is far from both even on a busy machine.
    expect(performance.now() - started).toBeLessThan(1000);
    const text = resumed.body.toString();
    expect(text).toContain(`id: 2\nevent: token\ndata: ${JSON.stringify({ index: 2, text: pacedTokens[2] })}`);
    expect(text).toContain('event: done');
  });

  it('the last reader leaving stops the generation; a resume continues the log from where it stopped', async () => {
    const url = `${server.url}/api/stream/sse?${query({ ...paced, run: 'stop-and-go' })}`;
    const controller = new AbortController();
    const first = await fetch(url, { signal: controller.signal });
    const id = first.headers.get(replyHeader)!;
    await until(async () => (await logOf(id)).tokens.length >= 2, 'two tokens in the log');
    controller.abort();
    await until(async () => (await logOf(id)).state === 'stopped', 'the log to stop');
    const stoppedAt = (await logOf(id)).tokens.length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await logOf(id)).tokens).toHaveLength(stoppedAt);

    const resumed = tokensOf(await readSseEvents(await fetch(url, { headers: { 'Last-Event-ID': String(stoppedAt - 1) } })));
    expect(resumed.map((t) => t.index)).toEqual(pacedTokens.map((_, i) => i).slice(stoppedAt));
    expect(await logOf(id)).toMatchObject({ done: true, tokens: pacedTokens.map((text, index) => ({ index, text })) });
  });
});
