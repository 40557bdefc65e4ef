import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { listen, type Listening } from '../testing/listen.ts';
import { prompts } from '../model/prompts.ts';

let server: Listening;
let client: OpenAI;
beforeAll(async () => {
  server = await listen();
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
});
afterAll(() => server.close());

// Streamscope's pacing rides along as extra body fields, which the SDK passes through.
const fast = { tps: 1000, ttft: 0 } as Record<string, unknown>;

describe('OpenAI-compatible API, driven by the official openai package', () => {
  it('lists the models', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['streamscope', 'echo']);
  });

  it('streams chat.completion.chunk events for model echo', async () => {
    const text = 'Stream me 👋🏽\nline two\r\ndata: not a field';
    const stream = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: text }], stream: true, ...fast });
    const deltas: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      deltas.push(chunk.choices[0]?.delta.content ?? '');
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas.join('')).toBe(text);
    expect(deltas.filter(Boolean).length).toBeGreaterThan(3);
    expect(finish).toBe('stop');
  });

  it('answers one chat.completion without stream, with usage', async () => {
    const completion = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'just this' }], ...fast });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe('just this');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('model streamscope answers a scripted prompt with its scripted reply', async () => {
    const prompt = prompts[1]!;
    const completion = await client.chat.completions.create({ model: 'streamscope', messages: [{ role: 'user', content: prompt.prompt }], ...fast });
    expect(completion.choices[0]?.message.content).toBe(prompt.reply);
  });

  it('model streamscope gives the same answer to the same unknown question', async () => {
    const ask = () => client.chat.completions.create({ model: 'streamscope', messages: [{ role: 'user', content: 'What is the weather like?' }], ...fast });
    const [a, b] = await Promise.all([ask(), ask()]);
    expect(a.choices[0]?.message.content).toBe(b.choices[0]?.message.content);
    expect(prompts.map((p) => p.reply)).toContain(a.choices[0]?.message.content);
  });

  it('reports usage in the stream when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'count me' }],
      stream: true,
      stream_options: { include_usage: true },
      ...fast,
    });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    expect(usage?.completion_tokens).toBe(2);
  });

  it('surfaces errors as the SDK expects: an APIError with our detail', async () => {
    await expect(client.chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('Unknown model "gpt-nope"'),
    });
  });
});
