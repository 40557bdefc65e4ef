import { describe, expect, test } from 'vitest';
import { estimate, placeLabels, tickLabels, timelineText, wrapTitle, type Marker, type MarkerLabel, type Measure } from './labels.ts';

/** Each label's [left, right] px and line, as `placeLabels` spans it. */
function boxes(labels: readonly MarkerLabel[], measure: Measure): { line: number; a: number; b: number; text: string }[] {
  return labels.map((l) => {
    const w = measure(l.text);
    const a = l.anchor === 'start' ? l.at : l.at - w;
    return { line: l.line, a, b: a + w, text: l.text };
  });
}

function overlaps(labels: readonly MarkerLabel[], measure: Measure): string[] {
  const b = boxes(labels, measure);
  return b.flatMap((p, i) => b.filter((q, j) => i < j && p.line === q.line && p.a < q.b && q.a < p.b).map((q) => `${p.text} / ${q.text}`));
}

describe('placeLabels', () => {
  test('markers a few pixels apart share a label', () => {
    const labels = placeLabels(
      [
        { name: 'first byte', ms: 10, x: 10 },
        { name: 'first token', ms: 11, x: 12 },
      ],
      800,
    );
    expect(labels).toEqual([{ x: 10, text: 'first byte 10 ms · first token 11 ms', anchor: 'start', at: 14, line: 0 }]);
    // Times that round to the same are said once.
    expect(
      placeLabels(
        [
          { name: 'first token', ms: 900.2, x: 10 },
          { name: 'done', ms: 899.9, x: 11 },
        ],
        800,
      )[0]!.text,
    ).toBe('first token · done 900 ms');
  });

  test('a label that would run off the right goes left of its marker', () => {
    expect(placeLabels([{ name: 'done', ms: 3000, x: 790 }], 800)[0]).toMatchObject({ anchor: 'end', line: 0 });
  });

  test('labels that would overlap go on the other line; the first token keeps the upper one', () => {
    const labels = placeLabels(
      [
        { name: 'first byte', ms: 10, x: 10 },
        { name: 'first token', ms: 30, x: 60 },
      ],
      800,
    );
    expect(labels.map((l) => [l.text, l.line])).toEqual([
      ['first byte 10 ms', 1],
      ['first token 30 ms', 0],
    ]);
  });

  // The buffered lane at 1280 px: its first byte, first token and done a few ms apart, at the
  // right end of the plot. Drawn as "first tokdone 2283 ms" before.
  test('the buffered lane at the end of the plot: no two labels overlap', () => {
    const plotWidth = 1066;
    const k = plotWidth / 2300;
    const markers: Marker[] = [
      { name: 'first byte', ms: 2262, x: 2262 * k },
      { name: 'first token', ms: 2270, x: 2270 * k },
      { name: 'done', ms: 2283, x: 2283 * k },
    ];
    const measure = estimate(14);
    const labels = placeLabels(markers, plotWidth, measure);
    expect(overlaps(labels, measure)).toEqual([]);
    // The first byte and the first token are 4 px apart: one label.
    expect(labels.map((l) => l.text)).toEqual(['first byte 2262 ms · first token 2270 ms', 'done 2283 ms']);
  });

  test('with no room for all, the least important label is left out, not drawn over another', () => {
    // A 160 px plot (a 390 px phone): first byte, first token and done close together.
    const measure = estimate(14);
    const labels = placeLabels(
      [
        { name: 'first byte', ms: 20, x: 20 },
        { name: 'first token', ms: 60, x: 40 },
        { name: 'done', ms: 100, x: 70 },
      ],
      160,
      measure,
    );
    expect(overlaps(labels, measure)).toEqual([]);
    expect(labels.map((l) => l.text.replace(/ \d+ ms$/, '')).sort()).toEqual(['done', 'first token']);
  });

  test.each([
    ['normal', timelineText.normal],
    ['large', timelineText.large],
  ])('never an overlap, and never off the plot (%s text)', (_, text) => {
    const measure = estimate(text.size);
    for (const plotWidth of [160, 400, 1066]) {
      for (let a = 0; a <= 1; a += 0.05) {
        for (let b = a; b <= 1; b += 0.07) {
          const markers = [
            { name: 'first byte', ms: 1000 * a, x: plotWidth * a },
            { name: 'first token', ms: 1000 * b, x: plotWidth * b },
            { name: 'done', ms: 1000, x: plotWidth },
          ];
          const labels = placeLabels(markers, plotWidth, measure);
          expect(overlaps(labels, measure)).toEqual([]);
          for (const box of boxes(labels, measure)) {
            expect(box.a).toBeGreaterThanOrEqual(0);
            expect(box.b).toBeLessThanOrEqual(plotWidth + 16);
          }
        }
      }
    }
  });
});

test('a shared label with no room names its most important moment only', () => {
  // The buffered lane on a phone: first token and done together at the right end of a 160 px plot.
  const measure = estimate(14);
  const labels = placeLabels(
    [
      { name: 'first byte', ms: 1279, x: 138 },
      { name: 'done', ms: 1291, x: 159 },
      { name: 'first token', ms: 1290, x: 160 },
    ],
    160,
    measure,
  );
  expect(overlaps(labels, measure)).toEqual([]);
  expect(labels.map((l) => l.text)).toContain('first token 1290 ms');
});

describe('timelineText', () => {
  test('large text is at least 20 px, and its label lines clear the marks and the next row', () => {
    const { size, labelY, rowHeight } = timelineText.large;
    expect(size).toBeGreaterThanOrEqual(20);
    // Glyphs reach about 0.76 em above the baseline and 0.24 em below.
    expect(labelY[0] - 0.76 * size).toBeGreaterThanOrEqual(0);
    expect(labelY[1] - 0.76 * size).toBeGreaterThanOrEqual(60); // below the tokens
    expect(labelY[1] + 0.24 * size).toBeLessThanOrEqual(rowHeight);
  });
});

describe('wrapTitle', () => {
  const measure = estimate(14, true);
  test.each([
    ['Server-Sent Events', 160, ['Server-Sent Events']],
    ['Server-Sent Events', 120, ['Server-Sent', 'Events']],
    ['Server-Sent Events', 80, ['Server-', 'Sent Eve…']],
    ['SSE behind a buffering proxy', 148, ['SSE behind a', 'buffering proxy']],
    ['Proxy that honours X-Accel-Buffering', 148, ['Proxy that', 'honours X-Accel-…']],
    ['Supercalifragilisticexpialidocious', 148, ['Supercalifragili…']],
  ])('%s in %d px', (title, width, lines) => {
    const wrapped = wrapTitle(title, width, measure);
    expect(wrapped).toEqual(lines);
    for (const line of wrapped) expect(measure(line)).toBeLessThanOrEqual(width);
  });
});

describe('tickLabels', () => {
  test('a label that would touch the one before it is left out; one at the right end ends there', () => {
    const measure = estimate(20);
    const ticks = [0, 250, 500, 750, 1000].map((v) => ({ v, x: v * 0.24, label: `${v} ms` }));
    const kept = tickLabels(ticks, 240, measure);
    expect(kept.map((t) => t.v)).toEqual([0, 500, 1000]);
    expect(kept.at(-1)!.anchor).toBe('end');
  });
});
