import { describe, expect, test } from 'vitest';
import type { AppEvent } from '../../transports/types.ts';
import { Run } from '../../run/Run.svelte.ts';
import { defaultSettings } from '../../run/settings.ts';
import { laneIndex, LaneIndex, type LaneSource } from './LaneIndex.ts';

const startedAt = 1_000_000;
/** The run's clock conversions, offset 0: server and tab stamps both minus `startedAt`. */
const clock = new Run('r', defaultSettings, [], startedAt);

type Wire = { t: number; dir: 'up' | 'down'; bytes: { length: number } };

/** A lane that records like `LaneRecord`: arrays that only grow, with running byte totals. */
function lane() {
  const l = {
    wire: [] as Wire[],
    app: [] as AppEvent[],
    totals: { wire: [] as { down: number }[] },
    largestWrite: 0,
    push(e: Wire) {
      l.wire.push(e);
      const down = (l.totals.wire.at(-1)?.down ?? 0) + (e.dir === 'down' ? e.bytes.length : 0);
      l.totals.wire.push({ down });
      if (e.dir === 'down') l.largestWrite = Math.max(l.largestWrite, e.bytes.length);
    },
    write(t: number, size: number) {
      l.push({ t: startedAt + t, dir: 'down', bytes: { length: size } });
    },
    read(t: number) {
      l.push({ t: startedAt + t, dir: 'up', bytes: { length: 1 } });
    },
    receive(e: AppEvent) {
      l.app.push({ ...e, t: startedAt + e.t });
    },
  };
  return l satisfies LaneSource;
}

/** Bytes written up to and including each write. */
const writeTotals = (ix: LaneIndex): number[] => ix.writes.map((_, k) => ix.bytesAfter(k));

/** A lane with `n` writes of growing size and `n` tokens, 10 ms apart. */
function busyLane(n: number) {
  const l = lane();
  l.read(1);
  for (let i = 0; i < n; i++) {
    l.write(10 * i + 5, 10 + (i % 7));
    l.receive({ t: 10 * i + 7, kind: 'token', index: i });
  }
  l.receive({ t: 10 * n + 7, kind: 'done' });
  return l;
}

describe('LaneIndex', () => {
  test('taking events in batches gives the same columns as all at once', () => {
    const all = busyLane(50);
    const once = new LaneIndex(all).sync(clock);
    const partial = lane();
    const batched = new LaneIndex(partial);
    let w = 0;
    let a = 0;
    for (const step of [1, 7, 3, 30, 100]) {
      for (const e of all.wire.slice(w, w + step)) partial.push(e);
      for (const e of all.app.slice(a, a + step)) partial.app.push(e);
      w += step;
      a += step;
      batched.sync(clock);
    }
    expect(batched.writeMs).toEqual(once.writeMs);
    expect(writeTotals(batched)).toEqual(writeTotals(once));
    expect(writeTotals(batched).slice(0, 3)).toEqual([10, 21, 33]);
    expect(batched.tokens).toEqual(once.tokens);
    expect(batched.readMs).toEqual([1]);
    expect(batched.doneMs).toBe(507);
    expect(batched.maxWrite).toBe(16);
    expect(batched.tokenAt.get(12)).toBe(12);
  });

  test('laneIndex keeps one index per lane and brings it up to date', () => {
    const l = busyLane(3);
    const ix = laneIndex(l, clock);
    l.receive({ t: 99, kind: 'token', index: 3 });
    expect(laneIndex(l, clock)).toBe(ix);
    expect(ix.tokenMs).toEqual([7, 17, 27, 99]);
  });
});
