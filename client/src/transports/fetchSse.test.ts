/**
 * The page's fetch + parser client against the real faults lab, over real sockets: cut after
 * 15 tokens it stops there; resuming, it asks again with Last-Event-ID and ends with the whole
 * reply, each token once; an `event: error` ends it with the server's detail.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listen, type Listening } from '../../../server/testing/listen.ts';
import { faultsRoutes } from '../../../server/labs/faults/faultsRoutes.ts';
import { replyFor } from '../../../server/model/reply.ts';
import { parseSettings } from '../../../server/model/settings.ts';
import { fetchSseClient } from './fetchSse.ts';
import type { AppEvent } from './types.ts';
import { defaultSettings, type Settings } from '../run/settings.ts';

let server: Listening;
const requests: { url: string; lastEventId: string | null }[] = [];
beforeAll(async () => {
  server = await listen({ heartbeatMs: 60_000, retryMs: 20, routes: (app, ctx) => app.use(faultsRoutes(ctx)) });
  const realFetch = globalThis.fetch;
  // The page's code fetches relative paths; here they go to the test server.
  vi.stubGlobal('fetch', (url: string, init?: RequestInit) => {
    requests.push({ url, lastEventId: new Headers(init?.headers).get('Last-Event-ID') });
    return realFetch(server.url + url, init);
  });
});
afterAll(async () => {
  vi.unstubAllGlobals();
  await server.close();
});

const settings: Settings = { ...defaultSettings, prompt: 'what-is-sse', tps: 1000, ttft: 0, jitter: 0 };
const whole = replyFor(parseSettings({ prompt: 'what-is-sse' }));

async function race(client: ReturnType<typeof fetchSseClient>, with_: Partial<Settings> = {}): Promise<Omit<AppEvent, 't'>[]> {
  const events: Omit<AppEvent, 't'>[] = [];
  requests.length = 0;
  await client({ ...settings, ...with_ }, 'fetch-test', (e) => events.push(e), new AbortController().signal);
  return events;
}
const texts = (events: Omit<AppEvent, 't'>[]) => events.filter((e) => e.kind === 'token').map((e) => e.text);

describe('fetchSseClient', () => {
  it('without resume: a cut ends the reply, with an error that does not claim a reconnect', async () => {
    const events = await race(fetchSseClient('/api/labs/faults/cut/sse', { extra: { drop: '15' } }));
    expect(texts(events)).toEqual(whole.tokens.slice(0, 15));
    expect(events.at(-1)).toEqual({ kind: 'error', detail: expect.stringMatching(/^the stream broke off after 15 tokens .*nothing asks for the rest$/) });
    expect(events.at(-1)?.detail).not.toMatch(/reconnect/);
    expect(requests).toHaveLength(1);
  });

  it('with resume: asks again with Last-Event-ID after each cut and gets the whole reply, each token once', async () => {
    const events = await race(fetchSseClient('/api/labs/faults/resume/sse', { resume: true, extra: { drop: '15' } }));
    expect(texts(events)).toEqual(whole.tokens);
    expect(events.filter((e) => e.kind === 'token').map((e) => e.index)).toEqual(whole.tokens.map((_, i) => i));
    expect(events.at(-1)).toEqual({ kind: 'done' });
    expect(requests.map((r) => r.lastEventId)).toEqual([null, '14', '29', '44']);
    // Each lost connection is reported as one the code reconnects (Run keeps the lane streaming).
    expect(events.filter((e) => e.kind === 'error').every((e) => /reconnect with Last-Event-ID: \d+$/.test(e.detail ?? ''))).toBe(true);
  });

  it("an event: error from the server ends it with the server's detail, and it does not ask again", async () => {
    const events = await race(fetchSseClient('/api/labs/faults/resume/sse', { resume: true }), { fail: 5 });
    expect(texts(events)).toEqual(whole.tokens.slice(0, 5));
    expect(events.at(-1)).toEqual({ kind: 'error', detail: 'The model failed after 5 tokens (the fail=5 setting).' });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toContain('fail=5');
  });
});
