import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fakeModelId } from '../../shared/fakeModel.ts';
import { listenLoopback } from './listenLoopback.ts';

export { fakeModelId };

/**
 * A fake hosted model with a real model's irregular timing, for the tests, the lesson's recording
 * (`scripts/record-lesson.ts`) and anyone without a model at hand. It speaks both APIs Streamscope
 * relays: `GET /v1/models`, OpenAI's `POST /v1/chat/completions` and Anthropic's `POST /v1/messages`
 * (streaming only). Its timing is made up, but shaped like a real one's: the head at once, a long
 * wait for the first token (prompt processing), then uneven gaps, bursts of tokens in one write
 * (as a server that batches them does), and a pause mid-reply. Seeded: the same every time.
 */
export interface FakeModelOptions {
  /** ms before the first token. @default 650 */
  ttftMs?: number;
  /** Every gap (and the first-token wait) is multiplied by this: tests run at 0.05. @default 1 */
  scale?: number;
  /** Seed of the gaps and bursts. @default 8 */
  seed?: number;
  /** The reply, whatever is asked. @default `fakeReply` */
  reply?: string;
}

export interface FakeModel {
  url: string;
  /** The model it lists and answers as. */
  model: string;
  /** The reply's tokens, as it streams them (one delta each). */
  tokens: string[];
  /** Chat requests received: path and headers. */
  requests: { path: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export const fakeReply =
  'Server-Sent Events are one HTTP response that stays open: the server writes each event as a few lines of text, and the browser reads them as they arrive.';

/** The reply cut into word-sized tokens, each with its leading space (as BPE tokens have). */
export function fakeTokens(text: string): string[] {
  return text.match(/\s*(?:[A-Za-z]+|[^\sA-Za-z])/g) ?? [];
}

/** One write of the stream: after `gap` ms, `count` tokens in one piece of bytes. */
export interface Write {
  gap: number;
  count: number;
}

/** The made-up schedule: the first token late, then jittered gaps, a burst now and then, one long pause. */
export function fakeSchedule(tokens: number, { ttftMs = 650, seed = 8 }: Pick<FakeModelOptions, 'ttftMs' | 'seed'> = {}): Write[] {
  let state = seed >>> 0 || 1;
  const random = (): number => {
    // xorshift32: deterministic and small.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const writes: Write[] = [];
  const pauseAt = Math.floor(tokens * 0.55);
  let sent = 0;
  while (sent < tokens) {
    const first = sent === 0;
    const burst = !first && random() < 0.18 ? 2 + Math.floor(random() * 3) : 1;
    const count = Math.min(burst, tokens - sent);
    const pause = sent < pauseAt && sent + count >= pauseAt;
    const gap = first ? ttftMs : pause ? 700 + random() * 300 : 15 + random() * random() * 140;
    writes.push({ gap: Math.round(gap), count });
    sent += count;
  }
  return writes;
}

export async function fakeModel({ ttftMs = 650, scale = 1, seed = 8, reply = fakeReply }: FakeModelOptions = {}): Promise<FakeModel> {
  const tokens = fakeTokens(reply);
  const state: FakeModel = { url: '', model: fakeModelId, tokens, requests: [], close: async () => {} };
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models')
      return void res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ object: 'list', data: [{ id: fakeModelId, object: 'model', type: 'model', owned_by: 'fake' }] }));
    const openai = path === '/v1/chat/completions';
    if (req.method !== 'POST' || (!openai && path !== '/v1/messages')) return void res.writeHead(404).end();
    for await (const _ of req as AsyncIterable<Buffer>); // the question does not change the answer
    state.requests.push({ path, headers: req.headers });
    const wire = openai ? openaiWire(tokens) : anthropicWire(tokens);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    if (!openai) res.write(wire.opening);
    let at = 0;
    for (const { gap, count } of fakeSchedule(tokens.length, { ttftMs, seed })) {
      await new Promise((resolve) => setTimeout(resolve, gap * scale));
      if (res.destroyed) return;
      res.write(wire.deltas.slice(at, at + count).join(''));
      at += count;
    }
    res.end(wire.closing);
  }

  Object.assign(state, await listenLoopback(server));
  return state;
}

interface Wire {
  opening: string;
  deltas: string[];
  closing: string;
}

const id = 'fake-0001';
const created = 1_780_000_000;

function openaiWire(tokens: string[]): Wire {
  const chunk = (delta: object, finish: string | null): string =>
    `data: ${JSON.stringify({ id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created, model: fakeModelId, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return {
    opening: '',
    deltas: tokens.map((content, i) => chunk(i === 0 ? { role: 'assistant', content } : { content }, null)),
    closing: `${chunk({}, 'stop')}data: [DONE]\n\n`,
  };
}

function anthropicWire(tokens: string[]): Wire {
  const event = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  return {
    opening:
      event('message_start', {
        message: {
          id: `msg_${id}`,
          type: 'message',
          role: 'assistant',
          model: fakeModelId,
          content: [],
          stop_reason: null,
          usage: { input_tokens: 12, output_tokens: 1 },
        },
      }) +
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      event('ping', {}),
    deltas: tokens.map((text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
    closing:
      event('content_block_stop', { index: 0 }) +
      event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: tokens.length } }) +
      event('message_stop', {}),
  };
}
