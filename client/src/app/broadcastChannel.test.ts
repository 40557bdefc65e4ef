/**
 * The presenter's side of a broadcast (`publishRuns`) against a fake server that decides on its
 * batches by the server's own rules (`decide`), losing the run as a hall's process does when Redis
 * comes back empty.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { publishRuns, type PostAnswer } from './broadcastChannel.ts';
import { Run } from '../run/Run.svelte.ts';
import { defaultSettings } from '../run/settings.ts';
import { publishEveryMs } from '../run/broadcast.ts';
import { decide, encodeFrame, type RunState } from '../../../server/follow/broadcast.ts';
import type { Problem } from '../../../server/problem.ts';
import { broadcastMaxBytes, broadcastMaxRecords, type BroadcastBatch } from '../../../shared/broadcast.ts';

/** A server: the run's state and the events followers got (SSE text), by the rules of `decide`. */
function fakeServer(limits = { maxRecords: broadcastMaxRecords, maxBytes: broadcastMaxBytes }) {
  const server = {
    state: null as RunState | null,
    /** What followers got, event by event. */
    events: [] as string[],
    posted: [] as number[],
    /** Answers to give instead of deciding (503, 'network', …), one per POST. */
    faults: [] as (number | 'network')[],
    post(batch: BroadcastBatch): Promise<PostAnswer> {
      server.posted.push(batch.seq);
      const fault = server.faults.shift();
      if (fault === 'network') return Promise.reject(new TypeError('Failed to fetch'));
      if (fault !== undefined) return Promise.resolve({ ok: false, status: fault });
      // Through JSON, as over HTTP.
      const decision = decide(server.state, JSON.parse(JSON.stringify(batch)) as BroadcastBatch, limits);
      if ('result' in decision && decision.result === 'repeat') return Promise.resolve({ ok: true, status: 204 });
      server.state = decision.state;
      for (const frame of decision.frames) server.events.push(encodeFrame(frame));
      if ('problem' in decision) {
        const problem: Problem = decision.problem;
        return Promise.resolve({ ok: false, status: problem.status, ...(problem.extensions as { expected?: number }) });
      }
      return Promise.resolve({ ok: true, status: 204 });
    },
  };
  return server;
}

const t0 = 1_700_000_000_000;
let n = 0;
/** The presenter's live run, one token more each time `grow` is called. */
function liveRun() {
  const run = new Run(`r${++n}`, defaultSettings, ['sse'], t0);
  const lane = run.lanes[0]!;
  let i = 0;
  return { run, grow: () => lane.addApp({ t: t0 + i, kind: 'token', index: i, text: `t${i++}` }) };
}

const tick = () => vi.advanceTimersByTimeAsync(publishEveryMs);

/** `publishRuns` of `run` to `server`; returns the way to stop. */
const publishTo = (server: ReturnType<typeof fakeServer>, run: Run) =>
  publishRuns(
    () => run,
    (b) => server.post(b),
  );

/** `count` tokens, each published at its own tick. */
async function growTicks(grow: () => void, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    grow();
    await tick();
  }
}

describe('publishRuns', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test('after a 409 naming seq 0 (the run lost), sends the very same batches again from seq 0, then goes on: followers get the same events', async () => {
    const server = fakeServer();
    const { run, grow } = liveRun();
    const stop = publishTo(server, run);
    await growTicks(grow, 3);
    expect(server.posted).toEqual([0, 1, 2]);
    const before = [...server.events];
    expect(before).toHaveLength(4);

    // Redis came back empty; the next batch meets a process that held none of the run.
    server.state = null;
    server.events = [];
    grow();
    await tick();
    // Refused (409, expected 0), then the run again from its start, at once, and on.
    expect(server.posted).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(server.events.slice(0, 4)).toEqual(before);
    expect(server.events).toHaveLength(5);
    grow();
    await tick();
    expect(server.posted.at(-1)).toBe(4);
    expect(server.state).toMatchObject({ id: run.id, seq: 4, full: false });
    stop();
  });

  test('a 409 naming a later seq sends from there; a process that has some of the run ignores the repeats', async () => {
    const server = fakeServer();
    const { run, grow } = liveRun();
    const stop = publishTo(server, run);
    await growTicks(grow, 3);
    // The run as a process held it before its last batch: it expects seq 2 again.
    const held = { ...server.state!, seq: 1, records: server.state!.records - 1 };
    server.state = held;
    server.events.pop();
    grow();
    await tick();
    expect(server.posted).toEqual([0, 1, 2, 3, 2, 3]);
    expect(server.events.map((e) => /id: (\S+)/.exec(e)![1])).toEqual([0, 1, 2, 3, 4].map((i) => `${run.id}:${i}`));
    stop();
  });

  test('a failed POST (503, 429, the network) is sent again on the next tick, the same batch; new records wait behind it', async () => {
    const server = fakeServer();
    const { run, grow } = liveRun();
    const sent: BroadcastBatch[] = [];
    const stop = publishRuns(
      () => run,
      (b) => (sent.push(b), server.post(b)),
    );
    server.faults.push(503, 'network', 429);
    grow();
    await tick();
    grow();
    await tick();
    await tick();
    await tick();
    expect(server.posted).toEqual([0, 0, 0, 0]);
    expect(sent[3]).toBe(sent[0]);
    await tick();
    expect(server.posted).toEqual([0, 0, 0, 0, 1]);
    stop();
  });

  test('a run refused as full (413) stops; so does a 409 it cannot answer, and one that keeps coming', async () => {
    const server = fakeServer({ maxRecords: 3, maxBytes: broadcastMaxBytes });
    const { run, grow } = liveRun();
    const stop = publishTo(server, run);
    await growTicks(grow, 5);
    // The first batch (start, t0, clock) fills the run: the second is refused and nothing more is sent.
    expect(server.posted).toEqual([0, 1]);
    expect(server.state).toMatchObject({ full: true });
    stop();

    // A server that loses the run at every batch: the run is sent again a few times, then no more.
    const forgetful = fakeServer();
    const second = liveRun();
    const stopSecond = publishRuns(
      () => second.run,
      (b) => forgetful.post(b).finally(() => b.seq > 0 && (forgetful.state = null)),
    );
    await growTicks(second.grow, 10);
    expect(forgetful.posted.length).toBeLessThan(20);
    stopSecond();
  });

  test('keeps no more of a run than the server would: past that, a 409 naming seq 0 stops the broadcast', async () => {
    const server = fakeServer({ maxRecords: broadcastMaxRecords, maxBytes: 64 * 1024 * 1024 });
    const { run } = liveRun();
    const lane = run.lanes[0]!;
    const stop = publishTo(server, run);
    const big = 'x'.repeat(3 * 1024 * 1024);
    for (let i = 0; i < 3; i++) {
      lane.addApp({ t: t0 + i, kind: 'token', index: i, text: big });
      await tick();
    }
    expect(server.posted).toEqual([0, 1, 2]);
    server.state = null;
    lane.addApp({ t: t0 + 3, kind: 'token', index: 3, text: 'small' });
    await tick();
    await tick();
    expect(server.posted).toEqual([0, 1, 2, 3]);
    stop();
  });
});
