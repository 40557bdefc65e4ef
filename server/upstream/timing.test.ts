/**
 * A real model's irregular timing reaches the lanes as it was: the fake model (a late first token,
 * uneven gaps, bursts of tokens in one write, a pause mid-reply) behind Streamscope, and the SSE
 * lane read over a raw socket with the time of every read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../testing/listen.ts';
import { fakeModel, fakeModelId, fakeSchedule, type FakeModel } from '../testing/fakeModel.ts';
import { payloadAfterEachRead, rawGet } from '../testing/rawHttp.ts';

const scale = 0.4;
const ttftMs = 650;

let upstream: FakeModel;
let server: Listening;

beforeAll(async () => {
  upstream = await fakeModel({ scale, ttftMs });
  server = await listen({ upstream: { url: `${upstream.url}/v1`, kind: 'openai' } });
});
afterAll(() => Promise.all([server.close(), upstream.close()]));

describe("an upstream's timing, relayed", () => {
  it('keeps the late first token, the gaps, the bursts and the pause', async () => {
    const raw = await rawGet(`${server.url}/api/stream/sse?model=upstream/${fakeModelId}&prompt=what-is-sse`);
    expect(raw.status).toBe(200);
    // When each token was first readable by the page.
    const seen = payloadAfterEachRead(raw).map((payload) => payload.toString().split('event: token\n').length - 1);
    const count = upstream.tokens.length;
    expect(seen.at(-1)).toBe(count);
    const arrival = Array.from({ length: count }, (_, i) => raw.reads[seen.findIndex((n) => n > i)]!.t);

    const writes = fakeSchedule(count, { ttftMs });
    expect(arrival[0]).toBeGreaterThanOrEqual(ttftMs * scale - 5);
    let first = 0;
    for (const [k, { count: burst }] of writes.entries()) {
      // A write's tokens arrive together.
      expect(arrival[first + burst - 1]! - arrival[first]!, `burst ${k}`).toBeLessThan(25);
      first += burst;
    }
    // The reply takes as long as the model took over it (a late first read can only shorten it a little).
    const spread = writes.slice(1).reduce((sum, w) => sum + w.gap * scale, 0);
    expect(arrival.at(-1)! - arrival[0]!).toBeGreaterThanOrEqual(spread - 25);
    // The longest silence after the first token is the model's pause, where the model paused.
    const gaps = arrival.slice(1).map((t, i) => t - arrival[i]!);
    const pauseWrite = writes.reduce((best, w, k) => (k > 0 && w.gap > writes[best]!.gap ? k : best), 1);
    const pauseToken = writes.slice(0, pauseWrite).reduce((n, w) => n + w.count, 0);
    expect(gaps.indexOf(Math.max(...gaps)) + 1).toBe(pauseToken);
    // Irregular, not a metronome: the gaps between writes spread widely.
    const between = writes.slice(1).map((w) => w.gap);
    expect(Math.max(...between)).toBeGreaterThan(5 * Math.min(...between));
    expect(writes.some((w) => w.count > 1)).toBe(true);
  });
});
