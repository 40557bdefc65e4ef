/**
 * The reassembly promise (README, "How it works"): for every input, the text joined
 * from the tokens equals the source text exactly, on every transport — checked over real sockets
 * with random nasty texts, and the four transports must agree on the token list itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createParser } from 'eventsource-parser';
import WebSocket from 'ws';
import { listen, type Listening } from './testing/listen.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen();
});
afterAll(() => server.close());

/** Fast runs: 1 ms a token, no thinking. */
const fast = { tps: 1000, ttft: 0 } as const;

interface Streamed {
  tokens: string[];
  /** The final summary each transport sends with its last message. */
  summary: { tokens: number; characters: number; plannedMs: number };
}

function query(text: string, extra: Record<string, string | number> = {}): string {
  const params = new URLSearchParams({ text, tps: String(fast.tps), ttft: String(fast.ttft) });
  for (const [k, v] of Object.entries(extra)) params.set(k, String(v));
  return params.toString();
}

/** Reads a fetch body as text, chunk by chunk, handing each decoded piece to `onText`. */
async function readText(body: NonNullable<Response['body']>, onText: (text: string) => void): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onText(value);
  }
}

/** `GET /api/stream/sse`, read the way an app would: fetch + eventsource-parser. */
async function viaSse(text: string): Promise<Streamed> {
  const res = await fetch(`${server.url}/api/stream/sse?${query(text)}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const tokens: string[] = [];
  let summary: Streamed['summary'] | undefined;
  let retry: number | undefined;
  const parser = createParser({
    onRetry: (ms) => {
      retry = ms;
    },
    onEvent: (event) => {
      expect(summary, 'no event after done').toBeUndefined();
      if (event.event === 'token') {
        const data = JSON.parse(event.data) as { index: number; text: string };
        expect(data.index).toBe(tokens.length);
        expect(event.id).toBe(String(data.index));
        expect(Object.keys(data).sort()).toEqual(['index', 'text']);
        tokens.push(data.text);
      } else if (event.event === 'done') {
        summary = JSON.parse(event.data) as Streamed['summary'];
      } else {
        throw new Error(`unexpected SSE event ${JSON.stringify(event)}`);
      }
    },
    onError: (error) => {
      throw error;
    },
  });
  await readText(res.body!, (chunk) => parser.feed(chunk));
  expect(retry).toBe(1000);
  expect(summary, 'SSE stream ended without a done event').toBeDefined();
  return { tokens, summary: summary! };
}

/** `GET /api/stream/http`: one buffered JSON body. */
async function viaBuffered(text: string): Promise<Streamed> {
  const res = await fetch(`${server.url}/api/stream/http?${query(text)}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-length')).not.toBeNull();
  const body = (await res.json()) as { text: string; tokens: string[]; characters: number; plannedMs: number };
  expect(body.text).toBe(body.tokens.join(''));
  return { tokens: body.tokens, summary: { tokens: body.tokens.length, characters: body.characters, plannedMs: body.plannedMs } };
}

/** `/api/stream/ws`: one start message, token messages until done, then a normal close. */
function viaWebSocket(text: string): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/stream/ws`);
    const tokens: string[] = [];
    let summary: Streamed['summary'] | undefined;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'start', text, ...fast })));
    ws.on('message', (data, isBinary) => {
      try {
        expect(isBinary).toBe(false);
        const message = JSON.parse(data.toString()) as { type: string; index?: number; text?: string } & Streamed['summary'];
        expect(summary, 'no message after done').toBeUndefined();
        if (message.type === 'token') {
          expect(message.index).toBe(tokens.length);
          tokens.push(message.text!);
        } else if (message.type === 'done') {
          summary = { tokens: message.tokens, characters: message.characters, plannedMs: message.plannedMs };
        } else {
          throw new Error(`unexpected WebSocket message ${data.toString()}`);
        }
      } catch (error) {
        ws.terminate();
        reject(error);
      }
    });
    ws.on('error', reject);
    ws.on('close', (code) => {
      if (code !== 1000) return reject(new Error(`WebSocket closed with ${code}`));
      if (!summary) return reject(new Error('WebSocket closed without a done message'));
      resolve({ tokens, summary });
    });
  });
}

function chatBody(text: string, stream: boolean): string {
  return JSON.stringify({ model: 'echo', stream, messages: [{ role: 'user', content: text }], ...fast });
}

interface Chunk {
  object: string;
  choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
}

/** `POST /v1/chat/completions` with `stream: true`: `data:` chunks until `data: [DONE]`. */
async function viaOpenAiStream(text: string): Promise<string[]> {
  const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody(text, true) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const chunks: Chunk[] = [];
  let finished = false;
  const parser = createParser({
    onEvent: (event) => {
      expect(finished, 'nothing after [DONE]').toBe(false);
      expect(event.event).toBeUndefined();
      if (event.data === '[DONE]') finished = true;
      else chunks.push(JSON.parse(event.data) as Chunk);
    },
    onError: (error) => {
      throw error;
    },
  });
  await readText(res.body!, (chunk) => parser.feed(chunk));
  expect(finished, 'stream ended without data: [DONE]').toBe(true);
  const [first, ...rest] = chunks;
  const last = rest.pop();
  expect(first?.choices[0]).toMatchObject({ delta: { role: 'assistant', content: '' }, finish_reason: null });
  expect(last?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
  const tokens = rest.map((chunk) => {
    expect(chunk.object).toBe('chat.completion.chunk');
    expect(chunk.choices).toHaveLength(1);
    expect(chunk.choices[0]!.finish_reason).toBeNull();
    expect(Object.keys(chunk.choices[0]!.delta)).toEqual(['content']);
    return chunk.choices[0]!.delta.content!;
  });
  return tokens;
}

/** `POST /v1/chat/completions` with `stream: false`: one chat.completion. */
async function viaOpenAiBuffered(text: string): Promise<string> {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: chatBody(text, false),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    object: string;
    choices: { message: { role: string; content: string }; finish_reason: string }[];
    usage: { completion_tokens: number };
  };
  expect(body.object).toBe('chat.completion');
  expect(body.choices[0]?.finish_reason).toBe('stop');
  return body.choices[0]!.message.content;
}

/** Streams `text` on all four transports (and OpenAI unstreamed) and checks every promise. */
async function checkAllTransports(text: string): Promise<void> {
  const [sse, buffered, ws, openai, openaiText] = await Promise.all([
    viaSse(text),
    viaBuffered(text),
    viaWebSocket(text),
    viaOpenAiStream(text),
    viaOpenAiBuffered(text),
  ]);
  // Exact reassembly, compared as code point arrays first so a failure shows where it differs.
  for (const [name, tokens] of [
    ['sse', sse.tokens],
    ['buffered', buffered.tokens],
    ['websocket', ws.tokens],
    ['openai', openai],
  ] as const) {
    expect(tokens.join(''), `${name} reassembles the text`).toBe(text);
    expect(
      tokens.every((t) => t !== ''),
      `${name} sends no empty tokens`,
    ).toBe(true);
  }
  expect(openaiText).toBe(text);
  // One tokenization, the same pieces on every wire.
  expect(buffered.tokens).toEqual(sse.tokens);
  expect(ws.tokens).toEqual(sse.tokens);
  expect(openai).toEqual(sse.tokens);
  // The same summary with the last message of each transport.
  const characters = [...text].length;
  expect(sse.summary).toEqual({ tokens: sse.tokens.length, characters, plannedMs: sse.summary.plannedMs });
  expect(buffered.summary).toEqual(sse.summary);
  expect(ws.summary).toEqual(sse.summary);
}

/** Pieces that break naive SSE encoders, JSON encoders, query strings or UTF-8 chunking. */
const nasty = [
  '\r',
  '\n',
  '\r\n',
  '\n\r',
  '\r\r',
  '\n\n',
  '\r\n\r\n',
  '\n\n\n',
  'data: x',
  'data:',
  'data:{"index":0,"text":"x"}',
  'event: done',
  'event:token',
  'id: 7',
  'id:',
  ':',
  ': keep-alive',
  'retry: 0',
  'retry:',
  '[DONE]',
  'data: [DONE]',
  '\ndata: ',
  '\nevent: ',
  '\nid: ',
  '\n:',
  '\nretry: 1\n',
  '\t',
  '\t\t',
  '\0',
  '\u0001',
  '\u0007',
  '\b',
  '\v',
  '\f',
  '\u001b[31m',
  '\u001f',
  '\u007f',
  '\u0080',
  '\u0085',
  '\u009f',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\u200b',
  '\u200d',
  '\u200e',
  '\u200f',
  '\ufffd',
  '\uffff',
  '\\',
  '\\n',
  '\\r',
  '\\u0000',
  '"',
  "'",
  '\\"',
  '`',
  '{',
  '}',
  '</script>',
  '%',
  '%20',
  '%00',
  '+',
  '&',
  '=',
  '?',
  '#',
  ';',
  '👩‍💻',
  '👨‍👩‍👧‍👦',
  '🧑🏽‍🚀',
  '👋🏽',
  '👍🏿',
  '🇯🇵',
  '🇸🇦',
  '🏳️‍🌈',
  '🏴‍☠️',
  '🏴󠁧󠁢󠁳󠁣󠁴󠁿',
  '❤️',
  '☀',
  '1️⃣',
  '😀',
  'e\u0301',
  'n\u0303\u0323',
  'Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324',
  'こんにちは、世界。',
  'ｶﾀｶﾅ',
  '漢字',
  'مرحبا بالعالم',
  'لماذا؟',
  'שלום',
  'Ελληνικά',
  '𝕳𝖊𝖑𝖑𝖔',
  '𠀋',
  ' ',
  '  ',
  '    ',
  'a',
  'the',
  ' hello',
  'Hello, world!',
  '1234567890',
];

const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...nasty) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 4 }) },
);
/** Up to a few hundred characters, never empty (the API refuses empty text). */
const texts = fc
  .array(piece, { minLength: 1, maxLength: 100, size: 'max' })
  .map((pieces) => [...pieces.join('')].slice(0, 400).join(''))
  .filter((text) => text !== '');

describe('every text reassembles exactly, and identically, on every transport', () => {
  it('random nasty texts (property)', { timeout: 60_000 }, async () => {
    await fc.assert(fc.asyncProperty(texts, checkAllTransports), { numRuns: 40 });
  });

  it.each([
    ['a lone CR', '\r'],
    ['a lone LF', '\n'],
    ['CRLF and blank lines', 'a\r\n\r\nb\n\n\nc\r\rd'],
    ['SSE fields inside the text', 'data: x\nevent: done\nid: 3\n: comment\nretry: 0\n\ndata: [DONE]\n\n'],
    ['[DONE] alone', '[DONE]'],
    ['only whitespace', ' \t \u00a0'],
    ['NUL and control characters', '\0\u0001\u001f\u007f\u0085'],
    ['a ZWJ family split across BPE tokens', '👨‍👩‍👧‍👦'],
    ['skin tones and flags', '👋🏽👍🏿🇯🇵🏳️‍🌈🏴󠁧󠁢󠁳󠁣󠁴󠁿'],
    ['combining marks', 'e\u0301 n\u0303\u0323'],
    ['a leading BOM', '\ufeffhello'],
  ])('%s', async (_name, text) => {
    await checkAllTransports(text);
  });

  it('a text of 20,000 characters, the limit', { timeout: 30_000 }, async () => {
    // Long runs BPE folds into few tokens keep this fast (~1 s); the nasty pieces sit in between.
    const body = nasty.join('|');
    const filler = ' '.repeat(3000) + '='.repeat(3000) + '\r\n'.repeat(8) + '-'.repeat(3000);
    let text = `${body}${filler}${body}${filler}${body}`;
    text += '.'.repeat(20_000 - [...text].length);
    expect([...text]).toHaveLength(20_000);
    await checkAllTransports(text);
  });

  it('lone surrogates survive the JSON transports (WebSocket, OpenAI)', async () => {
    // A query string cannot carry them (UTF-8 has no encoding for them), a JSON body can.
    const text = 'a\ud800b\udc00c\ud83d';
    const ws = await viaWebSocket(text);
    expect(ws.tokens.join('')).toBe(text);
    const openai = await viaOpenAiStream(text);
    expect(openai).toEqual(ws.tokens);
    expect(await viaOpenAiBuffered(text)).toBe(text);
  });
});

describe('determinism', () => {
  async function sseBytes(q: string): Promise<Buffer> {
    const res = await fetch(`${server.url}/api/stream/sse?${q}`);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  }

  it('the same settings twice give byte-identical SSE bodies', async () => {
    for (const q of [
      query('data: 👩‍💻\r\n\r\n[DONE] こんにちは', { jitter: 0.9, seed: 42 }),
      query('x', { jitter: 1, seed: -7 }),
      'prompt=emoji-glitches&tps=1000&ttft=0&seed=3',
    ]) {
      const [a, b] = await Promise.all([sseBytes(q), sseBytes(q)]);
      expect(a.length).toBeGreaterThan(0);
      expect(a.equals(b), `SSE bodies for ${q.slice(0, 60)} differ`).toBe(true);
    }
  });

  it('random texts and seeds: byte-identical SSE bodies (property)', { timeout: 30_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(texts, fc.integer({ min: -1000, max: 1000 }), fc.double({ min: 0, max: 1, noNaN: true }), async (text, seed, jitter) => {
        const q = query(text, { seed, jitter });
        const [a, b] = await Promise.all([sseBytes(q), sseBytes(q)]);
        expect(a.equals(b)).toBe(true);
      }),
      { numRuns: 15 },
    );
  });
});
