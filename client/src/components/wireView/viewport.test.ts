import { describe, expect, test } from 'vitest';
import { bottomTop, overscan, revealTop, rowHeight, rowInView, topRow, windowRows } from './viewport.ts';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

test('a row is 22 px, 20 rows of overscan', () => {
  expect([rowHeight, overscan]).toEqual([22, 20]);
});

describe('bottomTop', () => {
  test.each([
    [0, 300, 0],
    [10, 300, 0],
    [100, 300, 1900],
  ])('%d rows, %d px: %d', (rows, height, want) => {
    expect(bottomTop(rows, height)).toBe(want);
  });
});

describe('windowRows', () => {
  /** A model with `pinned` pinned rows whose every row starts clean. */
  const model = (pinned: number) => ({ pinned, cleanEnd: (end: number) => end });

  test.each([
    ['all rows fit', 0, 10, 0, 300, range(0, 10)],
    ['the top of a long list', 0, 1000, 0, 220, range(0, 30)],
    ['scrolled down: overscan either side', 0, 1000, 2200, 220, range(80, 130)],
    ['pinned rows first', 5, 1000, 2200, 220, [...range(0, 5), ...range(80, 130)]],
    ['pinned rows overlapping the window', 40, 1000, 440, 220, range(0, 50)],
    ['the end of the list', 0, 100, 1900, 300, range(66, 100)],
  ])('%s', (_name, pinned, rows, top, height, want) => {
    expect(windowRows(model(pinned), rows, top, height)).toEqual(want);
  });

  test('following the newest bytes: fewer rows above', () => {
    expect(windowRows(model(0), 100, 1900, 300, 4)).toEqual(range(82, 100));
  });

  test('the end moves to a clean row', () => {
    expect(windowRows({ pinned: 0, cleanEnd: (end) => end + 3 }, 1000, 0, 220)).toEqual(range(0, 33));
  });
});

describe('topRow', () => {
  test.each([
    [0, 10, 0],
    [1, 10, 1],
    [22, 10, 1],
    [23, 10, 2],
    [10_000, 10, 9],
  ])('scrolled to %d of %d rows: %d', (scrollTop, rows, want) => {
    expect(topRow(scrollTop, rows)).toBe(want);
  });
});

describe('rowInView and revealTop', () => {
  test.each([
    [0, 0, 220, true, undefined],
    [9, 0, 220, true, undefined],
    [10, 0, 220, false, 22],
    [2, 66, 220, false, 44],
    [3, 66, 220, true, undefined],
    [12, 66, 220, true, undefined],
    [13, 66, 220, false, 88],
  ])('row %d scrolled to %d in %d px: in view %s, scroll to %s', (r, scrollTop, height, inView, top) => {
    expect(rowInView(r, scrollTop, height)).toBe(inView);
    expect(revealTop(r, scrollTop, height)).toBe(top);
  });
});
