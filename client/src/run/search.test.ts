import { describe, expect, test } from 'vitest';
import { countAtMost, countUntil, firstIndex, nearest } from './search.ts';

describe('countAtMost', () => {
  test.each([
    [[], 5, 0],
    [[1, 2, 3], 0, 0],
    [[1, 2, 3], 2, 2],
    [[1, 2, 2, 3], 2, 3],
    [[1, 2, 3], 9, 3],
  ])('%j at %d: %d', (values, limit, want) => {
    expect(countAtMost(values, limit)).toBe(want);
  });

  test('only the first `count` values', () => {
    expect(countAtMost([1, 2, 3, 4], 9, 2)).toBe(2);
  });
});

describe('countUntil', () => {
  const events = [{ t: 10 }, { t: 20 }, { t: 20 }, { t: 35 }];
  test.each([
    [9.9, 0],
    [10, 1],
    [20, 3],
    [34, 3],
    [35, 4],
    [1e9, 4],
  ])('events at or before %d: %d', (cursor, want) => {
    expect(countUntil(events, (e) => e.t, cursor)).toBe(want);
  });

  test('through a clock conversion', () => {
    // Server stamps less an offset of 5: run times 5, 15, 15, 30.
    expect(countUntil(events, (e) => e.t - 5, 15)).toBe(3);
  });
});

describe('firstIndex', () => {
  const totals = [0, 0, 1, 1, 3, 4];
  test.each([
    [0, 0],
    [1, 2],
    [2, 4],
    [4, 5],
    [5, -1],
  ])('first total ≥ %d: %d', (n, want) => {
    expect(firstIndex(totals, (t) => t >= n)).toBe(want);
  });

  test('nothing to search', () => {
    expect(firstIndex([], () => true)).toBe(-1);
  });
});

describe('nearest', () => {
  test.each([
    [[], 0, 5, -1],
    [[10, 20, 30], 3, 14, 0],
    [[10, 20, 30], 3, 15, 1],
    [[10, 20, 30], 3, 16, 1],
    [[10, 20, 30], 3, 99, 2],
    [[10, 20, 30], 2, 99, 1],
    [[10, 20, 30], 3, -5, 0],
  ])('%j (first %d) near %d: %d', (values, count, x, want) => {
    expect(nearest(values, count, x)).toBe(want);
  });
});
