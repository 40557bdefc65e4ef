import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../../testing/listen.ts';
import { replyFor, summarize } from '../../model/reply.ts';
import { parseSettings } from '../../model/settings.ts';
import { faultsRoutes } from './faultsRoutes.ts';
import { dechunk, payloadAfterEachRead, rawGet } from '../../testing/rawHttp.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen({ routes: (app, ctx) => app.use(faultsRoutes(ctx)) });
});
afterAll(() => server.close());

// Eight tokens 50 ms apart: long enough between the first and the last that a proxy that
// forwards as it goes cannot put them in one read.
const settings = { text: 'one two three four five six seven eight', tps: '20', ttft: '0', jitter: '0' };
const query = new URLSearchParams(settings).toString();
const plannedMs = summarize(replyFor(parseSettings(settings))).plannedMs;

/** The index of the first read after which the page could have seen `needle`. */
function firstReadWith(payloads: Buffer[], needle: string): number {
  return payloads.findIndex((p) => p.includes(needle));
}

describe('GET /api/labs/faults/buffering-proxy/sse', () => {
  it('forwards the head at once but holds every token until the upstream is done: one late write', async () => {
    const [response, direct] = await Promise.all([
      rawGet(`${server.url}/api/labs/faults/buffering-proxy/sse?${query}`),
      rawGet(`${server.url}/api/stream/sse?${query}`),
    ]);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream');
    expect(response.headers.via).toBe('1.1 streamscope-buffering-proxy');
    // Like nginx, the proxy keeps X-Accel-* to itself.
    expect(response.headers['x-accel-buffering']).toBeUndefined();

    const payloads = payloadAfterEachRead(response);
    const firstToken = firstReadWith(payloads, 'event: token');
    // Zero token bytes before the done event: they arrive in the same read.
    expect(firstToken).toBeGreaterThanOrEqual(0);
    expect(firstToken).toBe(firstReadWith(payloads, 'event: done'));
    // A lower bound only: nothing can leave before the upstream has paced out its last token.
    expect(response.reads[firstToken]!.t).toBeGreaterThanOrEqual(plannedMs);

    // The bytes are the upstream's own, only late.
    expect(dechunk(response.body).payload.toString()).toBe(dechunk(direct.body).payload.toString());
  });

  it("with honourAccel=true obeys the upstream's X-Accel-Buffering: no and passes tokens through as they come", async () => {
    const response = await rawGet(`${server.url}/api/labs/faults/buffering-proxy/sse?${query}&honourAccel=true`);
    const payloads = payloadAfterEachRead(response);
    const firstToken = firstReadWith(payloads, 'event: token');
    expect(firstToken).toBeGreaterThanOrEqual(0);
    expect(payloads[firstToken]!.includes('event: done')).toBe(false);
    expect(firstReadWith(payloads, 'event: done')).toBeGreaterThan(firstToken);
    expect(dechunk(response.body).complete).toBe(true);
  });

  it('at /api/labs/faults/accel-proxy/sse honours X-Accel-Buffering: no without being asked', async () => {
    const [honoured, held] = await Promise.all([
      rawGet(`${server.url}/api/labs/faults/accel-proxy/sse?${query}`),
      rawGet(`${server.url}/api/labs/faults/accel-proxy/sse?${query}&honourAccel=false`),
    ]);
    const firstToken = (r: typeof honoured): Buffer => payloadAfterEachRead(r)[firstReadWith(payloadAfterEachRead(r), 'event: token')]!;
    expect(firstToken(honoured).includes('event: done')).toBe(false);
    expect(firstToken(held).includes('event: done')).toBe(true);
  });

  it('releases what it holds each time holdBytes have piled up', async () => {
    const response = await rawGet(`${server.url}/api/labs/faults/buffering-proxy/sse?${query}&holdBytes=150`);
    const payloads = payloadAfterEachRead(response);
    const firstToken = firstReadWith(payloads, 'event: token');
    expect(payloads[firstToken]!.includes('event: done')).toBe(false);
    // Each release carries at least holdBytes (except the last, at the end of the stream).
    const chunkSizes = [...response.body.toString('latin1').matchAll(/(?:^|\r\n)([0-9a-f]+)\r\n/g)].map((m) => parseInt(m[1]!, 16)).filter((n) => n > 0);
    expect(chunkSizes.slice(0, -1).every((n) => n >= 150)).toBe(true);
  });

  it('passes Last-Event-ID upstream, so a reconnect through the proxy resumes', async () => {
    const response = await rawGet(`${server.url}/api/labs/faults/buffering-proxy/sse?${query}`, { 'Last-Event-ID': '5' });
    const payload = dechunk(response.body).payload.toString();
    expect(payload).toContain('id: 6\n');
    expect(payload).not.toContain('id: 5\n');
  });
});
