import { describe, expect, test } from 'vitest';
import type { AppEvent } from '../../transports/types.ts';
import { Run } from '../../run/Run.svelte.ts';
import { defaultSettings } from '../../run/settings.ts';
import { chunkSize } from './rowLayout.ts';
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

  test('full chunks are the same arrays every time', () => {
    const ix = new LaneIndex(busyLane(3 * chunkSize + 5)).sync(clock);
    const a = ix.tokenChunks(2);
    const b = ix.tokenChunks(3);
    expect(a.map((c) => c.length)).toEqual([chunkSize, chunkSize]);
    expect(b[0]).toBe(a[0]);
    expect(b[1]).toBe(a[1]);
    expect(b.flat().map((t) => t.index)).toEqual(Array.from({ length: 3 * chunkSize }, (_, i) => i));
    expect(ix.tokenChunks(0)).toEqual([]);
    // Only chunks the lane has filled.
    expect(ix.tokenChunks(9)).toHaveLength(3);
  });

  test('bars: one path of strokes per width, rebuilt when the scale functions change', () => {
    const l = lane();
    l.write(10, 4);
    l.write(20, 100);
    l.write(30.004, 9);
    const ix = new LaneIndex(l).sync(clock);
    const w = (size: number) => (size > 50 ? 8 : 2.2);
    expect(ix.bars(0, 3, (size) => size / 10, w)).toEqual([
      { width: 2, d: 'M10,44v-0.4M30,44v-0.9' },
      { width: 8, d: 'M20,44v-10.0' },
    ]);
    expect(ix.bars(1, 2, (size) => size / 10, w)).toEqual([{ width: 8, d: 'M20,44v-10.0' }]);

    const many = new LaneIndex(busyLane(2 * chunkSize)).sync(clock);
    const h = (size: number) => size;
    const first = many.barChunks(1, h, w);
    expect(many.barChunks(2, h, w)[0]).toBe(first[0]);
    const taller = many.barChunks(1, (size) => 2 * size, w);
    expect(taller[0]).not.toBe(first[0]);
    expect(taller[0]![0]!.d.startsWith('M5,44v-20.0')).toBe(true);
  });

  test('the line pieces draw one step line: each starts where the previous ended', () => {
    const n = 2 * chunkSize + 3;
    const ix = new LaneIndex(busyLane(n)).sync(clock);
    const pieces = [...ix.lineChunks(2), ix.linePiece(2 * chunkSize, n)];
    expect(pieces[0]!.startsWith('M5,0H5V10')).toBe(true);
    for (let c = 1; c < pieces.length; c++) {
      const from = c * chunkSize;
      expect(pieces[c]!.startsWith(`M${ix.writeMs[from - 1]},${ix.bytesAfter(from - 1)}H${ix.writeMs[from]}V${ix.bytesAfter(from)}`)).toBe(true);
      expect(pieces[c - 1]!.endsWith(`H${ix.writeMs[from - 1]}V${ix.bytesAfter(from - 1)}`)).toBe(true);
    }
    expect(pieces.at(-1)!.endsWith(`V${ix.bytesAfter(n - 1)}`)).toBe(true);
    expect(ix.lineChunks(2)[1]).toBe(pieces[1]);
    expect(ix.linePiece(5, 5)).toBe('');
  });

  test('dense writes and tokens: one column path each per scale, kept while the scale stays', () => {
    const ix = laneIndex(busyLane(300), clock);
    const height = (size: number) => size;
    const bars = ix.barColumns(0.1, height);
    expect(ix.barColumns(0.1, height)).toBe(bars);
    expect(ix.barColumns(0.2, height)).not.toBe(bars);
    // 10 ms apart at 0.1 px/ms: one column per write, with that write's size as its height.
    const { settled, active } = ix.barColumns(0.1, height).paths(300);
    expect((settled.join('') + active).match(/M/g)).toHaveLength(300);
    const tokens = ix.tokenColumns(0.05).paths(300);
    // Tokens at 7, 17, 27 … ms, at 0.05 px/ms: columns 0, 1, 1, 2, 2 … 150.
    expect((tokens.settled.join('') + tokens.active).match(/M/g)).toHaveLength(151);
  });
});
