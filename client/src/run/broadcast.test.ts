import { describe, expect, test } from 'vitest';
import { Run } from './Run.svelte.ts';
import { defaultSettings } from './settings.ts';
import { toRecording } from './recording.ts';
import { captured, capturedConn, pageEvents } from './capturedLane.ts';
import { BroadcastBuilder, RunCursor, watchBehindMs } from './broadcast.ts';
import type { BroadcastBatch, BroadcastRecord } from '../../../shared/broadcast.ts';

const t0 = 1_700_000_000_000;

/** The presenter's run, recorded in two halves (as two batches would find it). */
function presenterRun() {
  const run = new Run('r7', { ...defaultSettings, tps: 50 }, ['sse', 'ws'], t0);
  const fill = (half: 0 | 1) => {
    for (const [i, lane] of run.lanes.entries()) {
      const fixture = lane.id === 'ws' ? 'ws' : 'sse';
      const conn = i + 1;
      const wire = captured(fixture, t0 + 100, conn).wire;
      const app = pageEvents(['Hello', ',', ' world'], t0);
      const cut = (n: number) => (half === 0 ? [0, Math.floor(n / 2)] : [Math.floor(n / 2), n]);
      if (half === 0) lane.addConn(capturedConn(fixture, conn, t0 + 100));
      const [w0, w1] = cut(wire.length);
      for (const e of wire.slice(w0, w1)) lane.addWire(e);
      const [a0, a1] = cut(app.length);
      for (const e of app.slice(a0, a1)) lane.addApp(e);
      if (half === 1) {
        lane.addGeneration({ conn, t: t0 + 200, from: 0, generated: 3, of: 3, reason: 'complete' });
        lane.closeConn(conn, t0 + 201);
      }
    }
  };
  return { run, fill };
}

/** A run's contents, as a recording holds them. */
const contents = (run: Run) => toRecording(run);

describe('broadcast: the presenter’s run, rebuilt on a follower', () => {
  test('two batches rebuild the same run, lane by lane, with the presenter’s times', () => {
    const { run, fill } = presenterRun();
    const cursor = new RunCursor(run);
    fill(0);
    run.offset = 12;
    const first = cursor.take();
    expect(first[0]).toMatchObject({ type: 'start', id: 'r7', lanes: ['sse', 'ws'], startedAt: t0 });
    expect(first.filter((r) => r.type === 'conn')).toHaveLength(2);
    expect(first.some((r) => r.type === 'close' || r.type === 'end')).toBe(false);
    expect(cursor.take()).toEqual([]);

    fill(1);
    run.offset = 14.5;
    run.offsetUncertainty = 2;
    run.dropped = 3;
    run.state = 'ended';
    const second = cursor.take();
    expect(second.filter((r) => r.type === 'close')).toHaveLength(2);
    expect(second.filter((r) => r.type === 'conn')).toHaveLength(0);
    expect(second.slice(-3)).toEqual([{ type: 'clock', offset: 14.5, offsetUncertainty: 2 }, { type: 'dropped', count: 3 }, { type: 'end' }]);
    expect(cursor.done).toBe(true);
    expect(cursor.take()).toEqual([]);

    const builder = new BroadcastBuilder();
    // Sent through JSON, as the server relays it.
    const wire = (records: BroadcastRecord[], seq: number): BroadcastBatch => JSON.parse(JSON.stringify({ run: 'r7', seq, sentAt: t0 + 300 * seq, records }));
    const built = builder.apply(wire(first, 0), t0 + 40)!;
    expect(built.state).toBe('live');
    expect(built.lane('sse')!.tokens).toEqual(run.lane('sse')!.tokens.slice(0, built.lane('sse')!.tokens.length));
    expect(builder.apply(wire(second, 1), t0 + 300 + 60)).toBe(built);
    expect(built.state).toBe('ended');
    expect(built.dropped).toBe(3);
    expect(contents(built)).toEqual(contents(run));
    expect(built.lane('ws')!.segments.length).toBe(run.lane('ws')!.segments.length);
    expect(built.duration).toBe(run.duration);
  });

  test('the live cursor runs just behind the quickest delivery seen (a late joiner’s catch-up does not hold it back)', () => {
    const run = new Run('r8', { ...defaultSettings }, ['sse'], t0);
    const cursor = new RunCursor(run);
    const builder = new BroadcastBuilder();
    const start = { run: 'r8', seq: 0, sentAt: t0 + 10, records: cursor.take() };
    // Caught up 5 s late, then live batches 50 ms after they were sent.
    builder.apply(start, t0 + 5010);
    expect(builder.run!.clockShift).toBe(5000 + watchBehindMs);
    builder.apply({ run: 'r8', seq: 1, sentAt: t0 + 4800, records: [] }, t0 + 4850);
    expect(builder.run!.clockShift).toBe(50 + watchBehindMs);
    builder.apply({ run: 'r8', seq: 2, sentAt: t0 + 5000, records: [] }, t0 + 5200);
    expect(builder.run!.clockShift).toBe(50 + watchBehindMs);
  });

  test('skips what it cannot read, and what belongs to no run it knows', () => {
    const builder = new BroadcastBuilder();
    expect(builder.apply({ run: 'x', seq: 3, sentAt: t0, records: [{ type: 'app', lane: 'sse', event: { kind: 'token', t: 1 } }] }, t0)).toBeNull();
    const records = [
      { type: 'start', id: 'x', settings: {}, lanes: ['sse', 'no-such-lane'], startedAt: t0 },
      { type: 'wire', lane: 'sse', t: 1, conn: 1, dir: 'down', data: 42 },
      { type: 'app', lane: 'nowhere', event: { kind: 'token', t: 1 } },
      { type: 'app', lane: 'sse', event: { kind: 'token', t: t0 + 5, index: 0, text: 'Hi' } },
    ] as unknown as BroadcastRecord[];
    const run = builder.apply({ run: 'x', seq: 0, sentAt: t0, records }, t0)!;
    expect(run.lanes.map((l) => l.id)).toEqual(['sse']);
    expect(run.lane('sse')!.tokens).toEqual(['Hi']);
    builder.reset();
    expect(builder.run).toBeNull();
  });
});
