import { describe, expect, test } from 'vitest';
import type { AppEvent } from '../../transports/types.ts';
import { Run } from '../../run/Run.svelte.ts';
import { defaultSettings } from '../../run/settings.ts';
import { LaneIndex, type LaneSource } from './LaneIndex.ts';
import { RowCanvas, type RowMarks } from './RowCanvas.ts';
import { maxMarks, rowLayout } from './rowLayout.ts';

const startedAt = 1_000_000;
const clock = new Run('r', defaultSettings, [], startedAt);

/** A lane with `n` writes of 10 bytes and `n` tokens, one every `gap` ms. */
function lane(n: number, gap = 10): LaneSource {
  const wire = Array.from({ length: n }, (_, i) => ({ t: startedAt + i * gap, dir: 'down' as const, bytes: { length: 10 } }));
  const app: AppEvent[] = Array.from({ length: n }, (_, i) => ({ kind: 'token', t: startedAt + i * gap, index: i, text: 'x' }) as AppEvent);
  return { wire, app, totals: { wire: wire.map((_, i) => ({ down: 10 * (i + 1) })) }, largestWrite: 10 };
}

/** A canvas whose context records what is drawn. */
function canvas() {
  const calls: string[] = [];
  const ctx = new Proxy({} as Record<string, unknown>, {
    get: (target, name: string) => (name in target ? target[name] : (...args: unknown[]) => calls.push(`${name}(${args.join(',')})`)),
    set: (target, name: string, value) => ((target[name] = value), true),
  });
  const el = { width: 0, height: 0, getContext: () => ctx } as unknown as HTMLCanvasElement;
  return { el, calls, count: (name: string) => calls.filter((c) => c.startsWith(`${name}(`)).length };
}

function setup(n: number) {
  const ix = new LaneIndex(lane(n)).sync(clock);
  const bars = canvas();
  const marks = canvas();
  const row = new RowCanvas(bars.el, marks.el);
  const base: RowMarks = {
    ix,
    width: 500,
    height: 80,
    k: 0.5,
    offset: 0,
    barHeight: () => 10,
    barWidth: () => 4,
    bytesMax: 10 * n,
    writeCount: 0,
    tokenCount: 0,
    dense: false,
    color: 'rgb(1, 2, 3)',
    ratio: 2,
  };
  return { row, bars, marks, base };
}

describe('RowCanvas', () => {
  test('sizes the canvases at the pixel ratio and draws a mark per token and bar', () => {
    const { row, bars, marks, base } = setup(10);
    expect(row.draw({ ...base, writeCount: 5, tokenCount: 5 })).toBe(5);
    expect(bars.el.width).toBe((500 + 16) * 2);
    expect(bars.el.height).toBe(160);
    expect(bars.count('fillRect')).toBe(5);
    expect(marks.count('fillRect')).toBe(5);
    // Token 2 at 20 ms × 0.5 px/ms, 3 px wide.
    expect(marks.calls).toContain(`fillRect(8.5,${rowLayout.tokenTop},3,${rowLayout.tokenHeight})`);
  });

  test('a frame that adds events draws only those; a scrub back or a new scale draws all again', () => {
    const { row, bars, marks, base } = setup(10);
    row.draw({ ...base, writeCount: 5, tokenCount: 5 });
    row.draw({ ...base, writeCount: 7, tokenCount: 6 });
    expect(bars.count('fillRect')).toBe(7);
    expect(marks.count('fillRect')).toBe(6);
    expect(marks.count('clearRect')).toBe(1);
    // The same counts: nothing drawn.
    row.draw({ ...base, writeCount: 7, tokenCount: 6 });
    expect(marks.count('fillRect')).toBe(6);
    // Back: cleared, and the 4 visible drawn.
    expect(row.draw({ ...base, writeCount: 4, tokenCount: 4 })).toBe(4);
    expect(marks.count('clearRect')).toBe(2);
    expect(marks.count('fillRect')).toBe(10);
    // A new scale, or a new colour (theme): everything again.
    row.draw({ ...base, k: 0.25, writeCount: 4, tokenCount: 4 });
    row.draw({ ...base, k: 0.25, writeCount: 4, tokenCount: 4, color: 'rgb(9, 9, 9)' });
    expect(bars.count('clearRect')).toBe(4);
    expect(bars.count('fillRect')).toBe(7 + 4 + 4 + 4);
  });

  test(`past ${maxMarks} tokens, one mark per pixel column`, () => {
    const n = maxMarks + 200;
    const { row, marks, base } = setup(n);
    // 10 ms apart at 0.05 px/ms: about two tokens a pixel column.
    const columns = new Set(Array.from({ length: n }, (_, i) => Math.round(i * 10 * 0.05))).size;
    expect(columns).toBeLessThan(n / 2 + 2);
    const shown = row.draw({ ...base, k: 0.05, writeCount: n, tokenCount: n });
    expect(shown).toBe(columns);
    expect(marks.count('fillRect')).toBe(columns);
  });
});
