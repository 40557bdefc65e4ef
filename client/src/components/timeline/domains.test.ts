import { describe, expect, test } from 'vitest';
import { bytesDomainMax, niceCeil, timeDomainEnd } from './domains.ts';

describe('domains grow in steps', () => {
  test.each([
    [0, 1],
    [1, 1],
    [1001, 1500],
    [1500, 1500],
    [2100, 2500],
    [3001, 4000],
    [7000, 8000],
    [8001, 10_000],
    [0.012, 1],
  ])('niceCeil(%d) = %d', (v, want) => {
    expect(niceCeil(v)).toBe(want);
  });

  test('while live the time axis changes a few times per run, not per frame', () => {
    const ends = new Set<number>();
    for (let ms = 0; ms <= 10_000; ms += 1000 / 60) {
      const end = timeDomainEnd(ms, true);
      expect(end).toBeGreaterThan(ms);
      ends.add(end);
    }
    expect(ends.size).toBeLessThan(15);
  });

  test('otherwise it fits the run', () => {
    expect(timeDomainEnd(4321, false)).toBe(4321);
    expect(timeDomainEnd(12, false)).toBe(1000);
    expect(bytesDomainMax(12_345, false)).toBe(12_345);
    expect(bytesDomainMax(12_345, true)).toBe(15_000);
    expect(bytesDomainMax(0, false)).toBe(1);
  });
});
