import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventSourceMessage } from 'eventsource-parser';
import { listen, type Listening } from '../testing/listen.ts';
import { readSseEvents } from '../testing/sseEvents.ts';
import { prompts } from '../model/prompts.ts';
import { replyFor } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen();
});
afterAll(() => server.close());

const fast = { tps: 1000, ttft: 0 };
const tricky = 'Stream me 👋🏽\nline two\r\ndata: not a field\n\nevent: nor this';

function post(body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}/v1/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'x-api-key': 'unused', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
    ...init,
  });
}

const deltaTexts = (events: EventSourceMessage[]): string[] =>
  events.filter((e) => e.event === 'content_block_delta').map((e) => (JSON.parse(e.data) as { delta: { text: string } }).delta.text);

describe('POST /v1/messages (Anthropic-style), over real sockets', () => {
  it('streams the event sequence of the Messages API, each event named as its type', async () => {
    const response = await post({ model: 'echo', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: tricky }], ...fast });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const events = await readSseEvents(response);
    const names = events.map((e) => e.event);
    const deltas = names.filter((n) => n === 'content_block_delta').length;
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array<string>(deltas).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const e of events) expect(JSON.parse(e.data)).toMatchObject({ type: e.event });

    const [start, block] = events.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(start).toMatchObject({
      message: { type: 'message', role: 'assistant', model: 'echo', content: [], stop_reason: null, usage: { output_tokens: 0 } },
    });
    expect(block).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    const delta = JSON.parse(events.find((e) => e.event === 'content_block_delta')!.data) as Record<string, unknown>;
    expect(delta).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: expect.any(String) } });
    expect(JSON.parse(events.at(-2)!.data)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: deltas },
    });
  });

  it('joined, the text deltas give back the text exactly: CR, blank lines, "data:" and split emoji included', async () => {
    const response = await post({ model: 'echo', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: tricky }], ...fast });
    const texts = deltaTexts(await readSseEvents(response));
    expect(texts.join('')).toBe(tricky);
    expect(texts).toEqual(replyFor(parseSettings({ text: tricky })).tokens);
  });

  it('answers one message object without stream, with usage', async () => {
    const response = await post({
      model: 'echo',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'just this' }] }],
      ...fast,
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const message = (await response.json()) as { usage: { input_tokens: number; output_tokens: number } };
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'echo',
      content: [{ type: 'text', text: 'just this' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    // The system prompt counts as input, as it does for the real API.
    expect(message.usage.input_tokens).toBeGreaterThan(2);
    expect(message.usage.output_tokens).toBe(2);
  });

  it('max_tokens cuts the reply short and says so in stop_reason, streamed or not', async () => {
    const body = { model: 'streamscope', max_tokens: 5, messages: [{ role: 'user', content: prompts[0]!.prompt }], ...fast };
    const events = await readSseEvents(await post({ ...body, stream: true }));
    expect(deltaTexts(events)).toHaveLength(5);
    expect(JSON.parse(events.at(-2)!.data)).toMatchObject({ delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 5 } });
    expect(events.at(-1)?.event).toBe('message_stop');

    const message = (await (await post(body)).json()) as { content: { text: string }[]; stop_reason: string };
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.content[0]?.text).toBe(deltaTexts(events).join(''));
  });

  it('model streamscope answers a scripted prompt with its scripted reply, the same one the OpenAI endpoint gives', async () => {
    const prompt = prompts[1]!;
    const message = (await (await post({ model: 'streamscope', max_tokens: 4096, messages: [{ role: 'user', content: prompt.prompt }], ...fast })).json()) as {
      content: { text: string }[];
    };
    expect(message.content[0]?.text).toBe(prompt.reply);
  });

  it('same settings, same bytes', async () => {
    const body = { model: 'streamscope', max_tokens: 4096, stream: true, messages: [{ role: 'user', content: 'Why SSE?' }], ...fast, seed: 7 };
    const [a, b] = await Promise.all([post(body).then((r) => r.text()), post(body).then((r) => r.text())]);
    expect(a).toBe(b);
  });

  it('stops generating and frees its stream slot when the client goes away', async () => {
    const abort = new AbortController();
    const response = await post(
      { model: 'echo', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'one two three four five six seven' }], tps: 1, ttft: 0 },
      { signal: abort.signal },
    );
    const reader = response.body!.getReader();
    await reader.read();
    expect(server.limiter.open).toBe(1);
    abort.abort();
    await expect.poll(() => server.limiter.open).toBe(0);
  });

  describe("errors: problem+json in the shape of Anthropic's errors, so its SDK shows the detail", () => {
    const cases: [string, () => Promise<Response>, number, string, RegExp][] = [
      ['no max_tokens', () => post({ model: 'echo', messages: [{ role: 'user', content: 'x' }] }), 400, 'invalid_request_error', /"max_tokens" is required/],
      [
        'a bad max_tokens',
        () => post({ model: 'echo', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }),
        400,
        'invalid_request_error',
        /at least 1; got 0/,
      ],
      [
        'an unknown model',
        () => post({ model: 'claude-nope', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
        404,
        'not_found_error',
        /Unknown model "claude-nope"/,
      ],
      [
        'an unknown field',
        () => post({ model: 'echo', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], temperatur: 1 }),
        400,
        'invalid_request_error',
        /Unknown field "temperatur"/,
      ],
      ['a body that is not JSON', () => post(undefined, { body: '{"model": ' }), 400, 'invalid_request_error', /not valid JSON/],
      ['GET', () => fetch(`${server.url}/v1/messages`), 405, 'invalid_request_error', /Use POST/],
    ];
    it.each(cases)('%s', async (_name, request, status, type, message) => {
      const response = await request();
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await response.json()) as { type: string; status: number; detail: string; error: { type: string; message: string } };
      expect(body).toMatchObject({ type: 'error', status, error: { type } });
      expect(body.error.message).toMatch(message);
      expect(body.detail).toBe(body.error.message);
    });
  });
});
