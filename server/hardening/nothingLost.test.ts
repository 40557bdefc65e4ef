/**
 * Nothing lost: SSE connections cut at random points, hundreds of times, three ways — the
 * client aborts, the server's socket is destroyed, the instance serving it behind the load
 * balancer is killed — and each time the client resumes with `Last-Event-ID`, as EventSource
 * does. Every reply must reassemble exactly: every token index once, in order, 0 lost and 0
 * repeated, and the text equal to the source. Cuts land anywhere: in the head, between events,
 * inside an event (whose half the client must drop, as the SSE parser does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { Socket } from 'node:net';
import { createParser } from 'eventsource-parser';
import { listen, type Listening } from '../testing/listen.ts';
import { startLab, type Lab } from '../labs/loadBalancer/testLab.ts';
import { until } from '../testing/until.ts';
import { replyFor } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';
import { seededRandom } from '../model/random.ts';

/** Fast, so hundreds of cuts take seconds: the pacing is not what is tested here. */
const pacing = 'tps=1000&ttft=0&jitter=0';
/** Scripted replies with what breaks naive reassembly: emoji split over tokens, non-Latin scripts, long text. */
const promptIds = ['emoji-glitches', 'japanese-why-streaming', 'on-the-wire', 'arabic-word-by-word'];

let server: Listening;
let lab: Lab;
/** The server's socket for each request, by the `X-Cut-Id` the test gives it. */
const serverSockets = new Map<string, Socket>();

beforeAll(async () => {
  [server, lab] = await Promise.all([listen({ maxStreamsPerClient: 10_000, retryMs: 0 }), startLab()]);
  server.server.on('request', (req: http.IncomingMessage) => {
    const id = req.headers['x-cut-id'];
    if (typeof id === 'string') serverSockets.set(id, req.socket);
  });
});
afterAll(() => Promise.all([server.close(), lab.close()]));

interface Token {
  index: number;
  text: string;
}

interface Segment {
  tokens: Token[];
  done: boolean;
  instance: string | null;
}

type CutHow = (ctx: { req: http.ClientRequest; cutId: string; instance: string | null }) => void;

let nextCutId = 0;

/**
 * One connection: reads the stream until `atByte` bytes of body have arrived, then cuts it the
 * way `how` says. With a client-side cut, only the bytes before the cut are parsed; otherwise
 * whatever still arrives before the connection dies is parsed too (that is what a client gets).
 */
function readSegment(port: number, path: string, lastEventId: number | null, atByte: number, how: CutHow, clientSide: boolean): Promise<Segment> {
  return new Promise((resolve, reject) => {
    const cutId = String(nextCutId++);
    const segment: Segment = { tokens: [], done: false, instance: null };
    const parser = createParser({
      onEvent: (event) => {
        if (event.event === 'token') segment.tokens.push(JSON.parse(event.data) as Token);
        if (event.event === 'done') segment.done = true;
      },
    });
    const headers: Record<string, string> = { 'x-cut-id': cutId };
    if (lastEventId !== null) headers['last-event-id'] = String(lastEventId);
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${path} answered ${res.statusCode}`));
      segment.instance = (res.headers['x-streamscope-instance'] as string | undefined) ?? null;
      const decoder = new TextDecoder();
      let received = 0;
      let cut = false;
      res.on('data', (chunk: Buffer) => {
        if (cut && clientSide) return;
        const room = atByte - received;
        received += chunk.length;
        if (cut || room > chunk.length) return parser.feed(decoder.decode(chunk, { stream: true }));
        parser.feed(decoder.decode(clientSide ? chunk.subarray(0, room) : chunk, { stream: true }));
        cut = true;
        how({ req, cutId, instance: segment.instance });
      });
      res.on('error', () => {});
      res.on('close', () => resolve(segment));
    });
    req.on('error', () => resolve(segment));
  });
}

/**
 * Streams `prompt` to the end through as many cuts as it takes, resuming each time after the
 * last token received. Returns every token received, in order, and how many cuts there were.
 */
async function streamThroughCuts(
  port: number,
  base: string,
  prompt: string,
  random: () => number,
  how: CutHow,
  clientSide: boolean,
): Promise<{ tokens: Token[]; cuts: number }> {
  const tokens: Token[] = [];
  let cuts = 0;
  for (;;) {
    if (cuts > 2000) throw new Error(`${prompt}: no end after ${cuts} cuts`);
    const last = tokens.at(-1)?.index ?? null;
    // Anywhere from the first byte of the body to ~10 token events in.
    const atByte = 1 + Math.floor(random() * 600);
    const segment = await readSegment(port, `${base}?prompt=${prompt}&${pacing}`, last, atByte, how, clientSide);
    tokens.push(...segment.tokens);
    if (segment.done) return { tokens, cuts };
    cuts++;
  }
}

/** Every token once, in order, and the text exactly the source's. `prompt` may carry more settings (`what-is-sse&temperature=1&seed=3`). */
function expectWhole(prompt: string, tokens: readonly Token[]): void {
  const expected = replyFor(parseSettings(Object.fromEntries(new URLSearchParams(`prompt=${prompt}`))));
  expect(tokens.map((t) => t.index)).toEqual(expected.tokens.map((_, i) => i));
  expect(tokens.map((t) => t.text).join('')).toBe(expected.text);
}

/** Runs replies (cycling through the prompts) until at least `minCuts` cuts were survived. */
async function survive(
  minCuts: number,
  run: (prompt: string) => Promise<{ tokens: Token[]; cuts: number }>,
  prompts: readonly string[] = promptIds,
): Promise<{ cuts: number; replies: number }> {
  let cuts = 0;
  let replies = 0;
  while (cuts < minCuts) {
    const prompt = prompts[replies % prompts.length]!;
    const result = await run(prompt);
    expectWhole(prompt, result.tokens);
    cuts += result.cuts;
    replies++;
  }
  return { cuts, replies };
}

describe('SSE resumed with Last-Event-ID after random cuts', { timeout: 60_000 }, () => {
  it('the client aborts at a random byte, 200+ times: 0 tokens lost, 0 repeated', async () => {
    const random = seededRandom(6);
    const { cuts, replies } = await survive(200, (prompt) =>
      streamThroughCuts(server.port, '/api/stream/sse', prompt, random, ({ req }) => req.destroy(), true),
    );
    expect(cuts).toBeGreaterThanOrEqual(200);
    expect(replies).toBeGreaterThanOrEqual(2);
    await until(
      () => server.limiter.open === 0,
      () => server.limiter.open,
    );
  });

  it('sampled replies (temperature=1 with a seed): the client aborts at a random byte, 200+ times: 0 lost, 0 repeated', async () => {
    const random = seededRandom(7);
    // A seed makes the draw a function of the settings: a resume finds the same reply in the log
    // (or, once it is gone, draws the same words again), so the union is the whole reply.
    const sampled = promptIds.map((prompt, i) => `${prompt}&temperature=${[0.7, 1, 1.5, 2][i]}&seed=${i + 1}`);
    const { cuts, replies } = await survive(
      200,
      (prompt) => streamThroughCuts(server.port, '/api/stream/sse', prompt, random, ({ req }) => req.destroy(), true),
      sampled,
    );
    expect(cuts).toBeGreaterThanOrEqual(200);
    expect(replies).toBeGreaterThanOrEqual(2);
    // They really are sampled: not the scripted words.
    expect(replyFor(parseSettings({ prompt: promptIds[0], temperature: '1', seed: '1' })).text).not.toBe(
      replyFor(parseSettings({ prompt: promptIds[0] })).text,
    );
    await until(
      () => server.limiter.open === 0,
      () => server.limiter.open,
    );
  });

  it("the server's socket is destroyed at a random point, 200+ times: 0 lost, 0 repeated", async () => {
    const random = seededRandom(66);
    const { cuts } = await survive(200, (prompt) =>
      streamThroughCuts(server.port, '/api/stream/sse', prompt, random, ({ cutId }) => serverSockets.get(cutId)?.destroy(), false),
    );
    expect(cuts).toBeGreaterThanOrEqual(200);
    await until(
      () => server.limiter.open === 0,
      () => server.limiter.open,
    );
  });

  it('the instance serving the stream behind the load balancer is killed, 100+ times: 0 lost, 0 repeated', async () => {
    const random = seededRandom(666);
    const killed = new Set<string>();
    const kills: Promise<void>[] = [];
    const { cuts } = await survive(100, async (prompt) => {
      const result = await streamThroughCuts(
        lab.main.port,
        '/lb/api/stream/sse',
        prompt,
        random,
        ({ instance }) => {
          if (!instance) return;
          killed.add(instance);
          kills.push(lab.lb.kill(instance).then(() => lab.lb.revive(instance)));
        },
        false,
      );
      await Promise.all(kills.splice(0));
      return result;
    });
    expect(cuts).toBeGreaterThanOrEqual(100);
    // The streams really moved between instances.
    expect(killed).toEqual(new Set(['a', 'b', 'c']));
    await until(
      () => lab.lb.state().instances.every((i) => i.alive && i.open === 0),
      () => lab.lb.state(),
    );
  });
});
