/**
 * The official SDKs as the browser-side clients of a real model behind Streamscope: the `openai`
 * package streams `/v1/chat/completions` and `@anthropic-ai/sdk` streams `/v1/messages` from
 * Streamscope with `model: 'upstream/<id>'`, once with an OpenAI-kind upstream and once with an
 * Anthropic-kind one. Real sockets; the upstream is the fake model (irregular timing, sped up).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { listen, type Listening } from '../testing/listen.ts';
import { fakeModel, fakeModelId, type FakeModel } from '../testing/fakeModel.ts';
import type { UpstreamKind } from './upstream.ts';

const key = 'sk-sdk-test-upstream-SECRET';
const question = 'What are Server-Sent Events, in one short paragraph?';
const model = `upstream/${fakeModelId}`;

let upstream: FakeModel;
const servers = new Map<UpstreamKind, Listening>();

beforeAll(async () => {
  upstream = await fakeModel({ scale: 0.05 });
  for (const kind of ['openai', 'anthropic'] as const) servers.set(kind, await listen({ upstream: { url: `${upstream.url}/v1`, kind, key } }));
});
afterAll(() => Promise.all([...servers.values()].map((s) => s.close()).concat(upstream.close())));

/** The deltas the `openai` SDK hands the app, in order. */
async function openaiDeltas(server: Listening): Promise<string[]> {
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: question }], stream: true });
  const deltas: string[] = [];
  for await (const chunk of stream) {
    const content = chunk.choices[0]?.delta.content;
    if (content) deltas.push(content);
  }
  return deltas;
}

/** The text deltas `@anthropic-ai/sdk` hands the app, in order, and the reply's stop reason. */
async function anthropicDeltas(server: Listening): Promise<{ deltas: string[]; stop: string | null | undefined }> {
  const client = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
  const stream = await client.messages.create({ model, max_tokens: 1024, messages: [{ role: 'user', content: question }], stream: true });
  const deltas: string[] = [];
  let stop: string | null | undefined;
  for await (const event of stream) {
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') deltas.push(event.delta.text);
    if (event.type === 'message_delta') stop = event.delta.stop_reason;
  }
  return { deltas, stop };
}

describe.each(['openai', 'anthropic'] as const)('with an %s-kind upstream', (kind) => {
  const path = kind === 'openai' ? '/v1/chat/completions' : '/v1/messages';

  it("the openai SDK assembles the upstream's tokens, one delta each", async () => {
    const before = upstream.requests.length;
    const deltas = await openaiDeltas(servers.get(kind)!);
    expect(deltas).toEqual(upstream.tokens);
    expect(deltas.join('')).toBe(upstream.tokens.join(''));
    // One request went upstream, in the upstream's own API, with the key.
    expect(upstream.requests.slice(before).map((r) => r.path)).toEqual([path]);
    const sent = upstream.requests.at(-1)!.headers;
    expect(kind === 'openai' ? sent.authorization : sent['x-api-key']).toBe(kind === 'openai' ? `Bearer ${key}` : key);
  });

  it("the Anthropic SDK assembles the upstream's tokens, one delta each", async () => {
    const before = upstream.requests.length;
    const { deltas, stop } = await anthropicDeltas(servers.get(kind)!);
    expect(deltas).toEqual(upstream.tokens);
    expect(stop).toBe('end_turn');
    expect(upstream.requests.slice(before).map((r) => r.path)).toEqual([path]);
  });
});
