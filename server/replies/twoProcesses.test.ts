/**
 * Two server processes given the same `STREAMSCOPE_REDIS_URL`, as the README's recipe runs two
 * `npm start`s: a sampled reply (a new draw, as a real model's) started on the first, cut, and
 * resumed with `Last-Event-ID` on the second reads on from the log, nothing lost and nothing
 * repeated, while the first process, with no reader left, keeps generating into it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParser } from 'eventsource-parser';
import { redisMissing, startRedisServer, type RedisServer } from '../redis/redisServer.ts';
import { readSseEvents } from '../testing/sseEvents.ts';
import { replyHeader } from '../../shared/replyHeader.ts';
import { until } from '../testing/until.ts';
import { startServerProcess, type ServerProcess } from '../hall/processes.ts';

const missing = redisMissing();

function startProcess(redisUrl: string): Promise<ServerProcess> {
  return startServerProcess({ env: { STREAMSCOPE_REDIS_URL: redisUrl } });
}

describe.skipIf(missing !== null)(`two processes sharing one Redis${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: RedisServer;
  let first: ServerProcess;
  let second: ServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
    [first, second] = await Promise.all([startProcess(redis.url), startProcess(redis.url)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await redis?.stop();
  });

  it('a stream cut on the first resumes on the second from the log, while the first keeps generating', async () => {
    const query = 'prompt=what-is-sse&tps=40&ttft=0&temperature=1';
    // The first 5 tokens from the first process, then the client goes away.
    const abort = new AbortController();
    const opened = await fetch(`${first.url}/api/stream/sse?${query}`, { signal: abort.signal });
    const id = opened.headers.get(replyHeader)!;
    expect(id).toMatch(/^sse-[\w-]+-[0-9a-z]+$/);
    const before: { id: string; text: string }[] = [];
    const parser = createParser({
      onEvent: (e) => void (e.event === 'token' && before.push({ id: e.id!, text: (JSON.parse(e.data) as { text: string }).text })),
    });
    const decoder = new TextDecoder();
    const reader = opened.body!.getReader();
    while (before.length < 5) parser.feed(decoder.decode((await reader.read()).value, { stream: true }));
    abort.abort();
    const last = before.at(-1)!.id;

    // Nobody reads it now; the first process generates on into the shared log.
    const log = async () => (await (await fetch(`${second.url}/api/replies/${id}`)).json()) as { tokens: { text: string }[]; state: string };
    let held = 0;
    await until(
      async () => (held = (await log()).tokens.length) > before.length + 5,
      () => `${held} tokens in the log`,
    );

    const resumed = await fetch(`${second.url}/api/stream/sse?${query}`, { headers: { 'Last-Event-ID': last } });
    expect(resumed.headers.get(replyHeader)).toBe(id);
    const after = (await readSseEvents(resumed)).filter((e) => e.event === 'token');
    const ids = [...before.map((e) => e.id), ...after.map((e) => e.id!)];
    const draw = last.split(':')[0];
    expect(ids).toEqual(ids.map((_, i) => `${draw}:${i}`));
    const whole = await log();
    expect(whole.state).toBe('done');
    expect([...before.map((e) => e.text), ...after.map((e) => (JSON.parse(e.data) as { text: string }).text)]).toEqual(whole.tokens.map((t) => t.text));
  }, 30_000);
});
