import { expect, test } from 'vitest';
import { formatBytes, formatMs, formatSeconds, type MsFormat } from './format.ts';

// Each row is what a call site wrote before the formatters were one: the lane figures (default),
// the heads (`decimals: 1`) and a segment's time in the bytes (`decimals: 1`, never seconds).
test.each<[number | undefined, MsFormat | undefined, string]>([
  [undefined, undefined, '—'],
  [0, undefined, '0 ms'],
  [-0.3, undefined, '0 ms'],
  [12.5, undefined, '13 ms'],
  [842.4, undefined, '842 ms'],
  [9999.4, undefined, '9999 ms'],
  [9999.6, undefined, '10000 ms'],
  [10_000, undefined, '10.00 s'],
  [12_345.6, undefined, '12.35 s'],
  [0, { decimals: 1 }, '0.0 ms'],
  [12.34, { decimals: 1 }, '12.3 ms'],
  [9999.96, { decimals: 1 }, '10000.0 ms'],
  [10_000, { decimals: 1 }, '10.00 s'],
  [61_234, { decimals: 1 }, '61.23 s'],
  [12.34, { decimals: 1, secondsFrom: Infinity }, '12.3 ms'],
  [61_234, { decimals: 1, secondsFrom: Infinity }, '61234.0 ms'],
])('formatMs(%s, %o) is %s', (ms, options, want) => {
  expect(formatMs(ms, options)).toBe(want);
});

test.each([
  [0, '0.00 s'],
  [1234, '1.23 s'],
  [1235, '1.24 s'],
  [61_000, '61.00 s'],
])('formatSeconds(%d) is %s', (ms, want) => {
  expect(formatSeconds(ms)).toBe(want);
});

test.each([
  [0, '0 B'],
  [1, '1 B'],
  [74, '74 B'],
  [9999, '9999 B'],
  [10_000, '9.8 KiB'],
  [70_000, '68.4 KiB'],
  [1_048_576, '1024.0 KiB'],
])('formatBytes(%d) is %s', (n, want) => {
  expect(formatBytes(n)).toBe(want);
});
