/**
 * Broadcast follow over real sockets: the presenter publishes its run in batches, every watcher
 * gets the same events in order, a late joiner gets the run so far then live ones, only the
 * presenter may publish, a run is capped, a slow watcher holds nobody up and loses nothing, and a
 * watcher that goes leaves nothing behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { followRoutes } from './followRoutes.ts';
import { Broadcast, decodeFrame, encodeFrame, readBatch } from './broadcast.ts';
import { sseWatcher } from '../testing/sseWatcher.ts';
import type { EventStream } from '../sse/eventStream.ts';
import { Presenter } from '../classroom/presenter.ts';
import { problemHandler } from '../problem.ts';
import type { BroadcastBatch, BroadcastRecord } from '../../shared/broadcast.ts';

const presenter = new Presenter('broadcast-token');
const asPresenter = { Authorization: `Bearer ${presenter.token}` };
let broadcast: Broadcast;
let server: Server;
let url: string;

beforeAll(async () => {
  broadcast = new Broadcast({ maxRecords: 1000, maxBytes: 32 * 1024 * 1024, slowBytes: 16 * 1024 });
  const app = express();
  app.use(followRoutes(presenter, { broadcast }));
  app.use(problemHandler);
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const open: { close(): void }[] = [];
afterEach(() => open.splice(0).forEach((w) => w.close()));

interface Received {
  event: string;
  data: { run: string; seq?: number; records?: BroadcastRecord[] };
}

/** A watcher: an open GET /api/follow/run whose events collect in `events`. */
async function watcher() {
  const abort = new AbortController();
  const response = await fetch(`${url}/api/follow/run`, { signal: abort.signal });
  const events: Received[] = [];
  const waiters: (() => void)[] = [];
  const parser = createParser({
    onEvent: (e: EventSourceMessage) => {
      events.push({ event: e.event ?? 'message', data: JSON.parse(e.data) as Received['data'] });
      waiters.splice(0).forEach((w) => w());
    },
  });
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      // aborted
    }
  })();
  const w = {
    response,
    events,
    async next(n: number) {
      while (events.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => abort.abort(),
  };
  open.push(w);
  return w;
}

const app = (n: number): BroadcastRecord => ({ type: 'app', lane: 'sse', event: { kind: 'token', t: 1000 + n, index: n, text: `t${n}` } });

const publish = (batch: unknown, headers: Record<string, string> = asPresenter) =>
  fetch(`${url}/api/follow/run`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(batch) });

const batch = (run: string, seq: number, records: BroadcastRecord[]): BroadcastBatch => ({ run, seq, sentAt: 5000 + seq, records });

async function me(): Promise<{ followers: number; watching: number }> {
  return (await (await fetch(`${url}/api/follow/me`)).json()) as { followers: number; watching: number };
}

describe('broadcast follow', () => {
  it('fans the presenter’s batches out to every watcher, in order; a late joiner gets the run so far, then live', async () => {
    const a = await watcher();
    const b = await watcher();
    expect(a.response.headers.get('content-type')).toBe('text/event-stream');
    await expect.poll(async () => (await me()).watching).toBe(2);
    const start: BroadcastRecord = { type: 'start', id: 'run-1', settings: { tokens: 3 }, lanes: ['sse'], startedAt: 1000 };
    expect((await publish(batch('run-1', 0, [start, app(0)]))).status).toBe(204);
    expect((await publish(batch('run-1', 1, [app(1)]))).status).toBe(204);
    await Promise.all([a.next(3), b.next(3)]);
    expect(a.events.map((e) => e.event)).toEqual(['run', 'batch', 'batch']);
    expect(a.events).toEqual(b.events);
    expect(a.events[1]!.data).toEqual(batch('run-1', 0, [start, app(0)]));

    const late = await watcher();
    await late.next(3);
    expect(late.events).toEqual(a.events);
    await publish(batch('run-1', 2, [app(2), { type: 'end' }]));
    await Promise.all([a.next(4), b.next(4), late.next(4)]);
    expect(late.events).toEqual(a.events);
    expect(late.events[3]!.data.seq).toBe(2);

    // A retry of a batch already taken changes nothing; one out of order is a 409.
    expect((await publish(batch('run-1', 2, [app(2)]))).status).toBe(204);
    const early = await publish(batch('run-1', 9, [app(9)]));
    expect(early.status).toBe(409);
    // It names the seq to send: the next of the run here, or 0 for a run not held at all.
    expect(await early.json()).toMatchObject({ param: 'seq', expected: 3 });

    // A new run replaces the old: `run`, then its batches.
    await publish(batch('run-2', 0, [{ ...start, id: 'run-2' }]));
    await Promise.all([a.next(6), late.next(6)]);
    expect(a.events.slice(4).map((e) => [e.event, e.data.run])).toEqual([
      ['run', 'run-2'],
      ['batch', 'run-2'],
    ]);
    const unknown = await publish(batch('run-3', 4, [app(0)]));
    expect(unknown.status).toBe(409);
    expect(await unknown.json()).toMatchObject({ param: 'seq', expected: 0 });
    const fresh = await watcher();
    await fresh.next(2);
    expect(fresh.events).toEqual(a.events.slice(4));
  });

  it('lets only the presenter publish (403 problem+json), and answers 400 naming a bad field', async () => {
    const before = broadcast.current;
    for (const headers of [{}, { Authorization: 'Bearer wrong' }, { Cookie: 'streamscope-presenter=guess' }] as Record<string, string>[]) {
      const response = await publish(batch('hijack', 0, [app(0)]), headers);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(((await response.json()) as { detail: string }).detail).toMatch(/Only the presenter broadcasts a run/);
    }
    expect(broadcast.current).toEqual(before);
    for (const [body, param] of [
      [{ run: 'bad id!', seq: 0, sentAt: 1, records: [] }, 'run'],
      [{ run: 'r', seq: -1, sentAt: 1, records: [] }, 'seq'],
      [{ run: 'r', seq: 0, sentAt: 'now', records: [] }, 'sentAt'],
      [{ run: 'r', seq: 0, sentAt: 1, records: [{ type: 'nonsense' }] }, 'records'],
      [{ run: 'r', seq: 0, sentAt: 1, records: [], extra: 1 }, 'extra'],
    ] as const) {
      const response = await publish(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { param: string }).param).toBe(param);
    }
  });

  it('caps a run: the batch past the cap is a 413, watchers get one `full`, and the run keeps what it had', async () => {
    const a = await watcher();
    const records = Array.from({ length: 400 }, (_, i) => app(i));
    await publish(batch('big', 0, records));
    await publish(batch('big', 1, records));
    const over = await publish(batch('big', 2, records));
    expect(over.status).toBe(413);
    expect(((await over.json()) as { detail: string }).detail).toMatch(/capped at 1000 records/);
    expect((await publish(batch('big', 3, [app(0)]))).status).toBe(413);
    await a.next(6);
    expect(a.events.slice(-4).map((e) => [e.event, e.data.run])).toEqual([
      ['run', 'big'],
      ['batch', 'big'],
      ['batch', 'big'],
      ['full', 'big'],
    ]);
    expect(broadcast.current).toMatchObject({ id: 'big', records: 800, full: true });
    // The body itself is bounded too.
    expect((await publish(batch('huge', 0, [{ type: 'wire', lane: 'sse', t: 0, conn: 1, dir: 'down', data: 'x'.repeat(1100 * 1024) }]))).status).toBe(413);
  });

  it('does not let a slow watcher hold up the presenter or the others; it catches up, losing nothing, once it reads', async () => {
    const bulk = 'y'.repeat(400 * 1024);
    const wire = (i: number): BroadcastRecord => ({ type: 'wire', lane: 'sse', t: i, conn: 1, dir: 'down', data: bulk });
    await publish(batch('slow-run', 0, [wire(0)]));
    // A watcher that connects and then does not read: its socket's buffers fill.
    const slow: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => slow.once('connect', resolve));
    slow.write('GET /api/follow/run HTTP/1.1\r\nHost: x\r\n\r\n');
    let slowText = '';
    slow.on('data', (chunk: Buffer) => (slowText += chunk.toString('latin1')));
    await expect.poll(() => slowText.length).toBeGreaterThan(0);
    slow.pause();
    const fast = await watcher();

    // 40 batches of 400 KB each: far more than the sockets' buffers hold.
    await fast.next(2);
    const started = performance.now();
    for (let i = 1; i < 40; i++) expect((await publish(batch('slow-run', i, [wire(i)]))).status).toBe(204);
    const took = performance.now() - started;
    await fast.next(41);
    expect(fast.events.slice(1).map((e) => e.data.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(broadcast.waiting).toBe(1);
    expect(took).toBeLessThan(10_000);

    // Once it reads, it gets every batch, in order.
    slow.resume();
    await expect.poll(() => slowText.split('event: batch').length - 1, { timeout: 10_000 }).toBe(40);
    expect(broadcast.waiting).toBe(0);
    const seqs = [...slowText.matchAll(/"seq":(\d+)/g)].map((m) => Number(m[1]));
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i));
    slow.destroy();
  });

  it('forgets a watcher that goes: no watcher, no timer, no socket left', async () => {
    await expect.poll(async () => (await me()).watching).toBe(0);
    const connections = () => new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const [baseConnections, baseTimers] = [await connections(), timers()];
    const watchers = await Promise.all([watcher(), watcher(), watcher()]);
    await expect.poll(async () => (await me()).watching).toBe(3);
    expect(timers()).toBeGreaterThan(baseTimers);
    watchers.forEach((w) => w.close());
    await expect.poll(async () => (await me()).watching).toBe(0);
    expect(broadcast.waiting).toBe(0);
    await expect.poll(connections).toBeLessThanOrEqual(baseConnections + 1);
    await expect.poll(timers).toBeLessThanOrEqual(baseTimers);
  });
});

describe('resuming a broadcast', () => {
  it('a watcher that reconnects with Last-Event-ID gets only what came after it; one of another run gets the current run from its start', async () => {
    const start: BroadcastRecord = { type: 'start', id: 'resume-1', settings: {}, lanes: ['sse'], startedAt: 1000 };
    await publish(batch('resume-1', 0, [start]));
    await publish(batch('resume-1', 1, [app(1)]));
    const first = await sseWatcher(`${url}/api/follow/run`);
    await first.next(3);
    expect(first.events.map((e) => e.id)).toEqual(['resume-1:0', 'resume-1:1', 'resume-1:2']);
    first.close();
    await publish(batch('resume-1', 2, [app(2)]));
    const again = await sseWatcher(`${url}/api/follow/run`, { 'Last-Event-ID': 'resume-1:2' });
    await again.next(1);
    expect(again.events.map((e) => [e.id, e.event])).toEqual([['resume-1:3', 'batch']]);
    // Ahead of what is held (it had more from another process): it waits for what follows.
    const ahead = await sseWatcher(`${url}/api/follow/run`, { 'Last-Event-ID': 'resume-1:4' });
    await publish(batch('resume-1', 3, [app(3)]));
    await publish(batch('resume-1', 4, [app(4)]));
    await ahead.next(1);
    expect(ahead.events.map((e) => e.id)).toEqual(['resume-1:5']);
    const other = await sseWatcher(`${url}/api/follow/run`, { 'Last-Event-ID': 'another-run:1' });
    await other.next(6);
    expect(other.events.map((e) => e.id)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `resume-1:${i}`));
    [again, ahead, other].forEach((w) => w.close());
  });

  it('a frame read back from its text is the frame', () => {
    const frame = { run: 'r-1', index: 7, event: 'batch' as const, data: JSON.stringify(batch('r-1', 6, [app(1)])) };
    expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
  });
});

describe('readBatch', () => {
  it('takes a well-formed batch as it is', () => {
    const b = batch('r1', 0, [{ type: 'clock', offset: 3, offsetUncertainty: null }]);
    expect(readBatch(b)).toEqual(b);
  });
});

describe('Broadcast fan-out', () => {
  /** A watcher's stream that keeps what it is written (and never falls behind). */
  const fakeStream = (sent: unknown[], log?: string[]) =>
    ({
      send: (bytes: unknown) => (sent.push(bytes), log?.push('sent'), Promise.resolve()),
      closed: false,
      behind: () => false,
      res: { once() {} },
    }) as unknown as EventStream;
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it('writes the very same Buffer to every watcher: each event is encoded once, however many watch', async () => {
    const broadcast = new Broadcast();
    const writes: unknown[][] = [[], []];
    for (const sent of writes) broadcast.watch(fakeStream(sent));
    broadcast.publish(batch('same', 0, [app(0)]));
    await nextTurn();
    broadcast.publish(batch('same', 1, []));
    await nextTurn();
    const [a = [], b = []] = writes;
    expect(a).toHaveLength(2);
    for (const [i, bytes] of a.entries()) {
      expect(Buffer.isBuffer(bytes)).toBe(true);
      expect(b[i]).toBe(bytes);
    }
    expect(decodeFrame(String(a[1])).data).toBe(JSON.stringify(batch('same', 1, [])));
  });

  it('fans out after the turn that took the batches: nothing is written meanwhile, then one write per watcher carries them all', async () => {
    const broadcast = new Broadcast();
    const writes: unknown[][] = [[], [], []];
    for (const sent of writes) broadcast.watch(fakeStream(sent));
    broadcast.publish(batch('turn', 0, [app(0)]));
    broadcast.publish(batch('turn', 1, [app(1)]));
    expect(writes.map((w) => w.length)).toEqual([0, 0, 0]);
    // A watcher that joins meanwhile gets the run so far at once (and nothing twice after).
    const late: unknown[] = [];
    broadcast.watch(fakeStream(late));
    expect(late).toHaveLength(1);
    await nextTurn();
    expect(writes.map((w) => w.length)).toEqual([1, 1, 1]);
    expect(late).toHaveLength(1);
    const text = String(writes[0]![0]);
    expect(
      text
        .split('\n\n')
        .filter(Boolean)
        .map((e) => /id: (\S+)/.exec(e)![1]),
    ).toEqual(['turn:0', 'turn:1', 'turn:2']);
    expect(String(late[0])).toBe(text);
    // The joined bytes are made once, for all the watchers at the same place.
    expect(writes[1]![0]).toBe(writes[0]![0]);
    expect(writes[2]![0]).toBe(writes[0]![0]);
  });

  it('answers the presenter’s POST before it writes the batch to the watchers', async () => {
    const broadcast = new Broadcast();
    const log: string[] = [];
    broadcast.watch(fakeStream([], log));
    const app = express();
    app.use((_req, res, next) => {
      const end = res.end.bind(res) as (...args: unknown[]) => express.Response;
      res.end = ((...args: unknown[]) => (log.push('answered'), end(...args))) as typeof res.end;
      next();
    });
    app.use(followRoutes(presenter, { broadcast }));
    app.use(problemHandler);
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const at = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/follow/run`;
      const response = await fetch(at, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...asPresenter },
        body: JSON.stringify(batch('first', 0, [])),
      });
      expect(response.status).toBe(204);
      await expect.poll(() => log).toEqual(['answered', 'sent']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
