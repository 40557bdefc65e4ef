import { expect, test } from 'vitest';
import { PinTarget } from './pinTarget.ts';

const kinds = (...k: string[]) => k.map((kind) => ({ kind }));
const segments = kinds('status-line', 'header', 'chunk-size', 'data', 'chunk-size', 'data');

test.each<[string, number, string[], 'first' | 'newest', number | undefined]>([
  ['first of the kinds, reached', 6, ['chunk-size'], 'first', 2],
  ['first of the kinds, not reached yet', 2, ['chunk-size'], 'first', undefined],
  ['first of any of the kinds', 6, ['data', 'header'], 'first', 1],
  ['newest of the kinds reached', 4, ['chunk-size'], 'newest', 2],
  ['newest of all', 6, ['chunk-size'], 'newest', 4],
  ['none of the kinds', 6, ['comment'], 'first', undefined],
  ['none of the kinds, newest', 6, ['comment'], 'newest', undefined],
  ['nothing reached', 0, ['data'], 'newest', undefined],
])('%s', (_, count, emphasis, pin, want) => {
  expect(new PinTarget().find(segments, count, new Set(emphasis), pin)).toBe(want);
});

test('the first, once found, stays for the same kinds as bytes arrive', () => {
  const pins = new PinTarget();
  const emphasis = new Set(['data']);
  const growing = kinds('header', 'data');
  expect(pins.find(growing, 1, emphasis, 'first')).toBeUndefined();
  expect(pins.find(growing, 2, emphasis, 'first')).toBe(1);
  growing.unshift({ kind: 'data' });
  expect(pins.find(growing, 3, emphasis, 'first')).toBe(1);
  // A step's new kinds (a new Set) look again.
  expect(pins.find(growing, 3, new Set(['data']), 'first')).toBe(0);
});

test('kinds not found yet are looked for again as bytes arrive', () => {
  const pins = new PinTarget();
  const emphasis = new Set(['data']);
  const growing = kinds('header');
  expect(pins.find(growing, 1, emphasis, 'first')).toBeUndefined();
  growing.push({ kind: 'data' });
  expect(pins.find(growing, 2, emphasis, 'first')).toBe(1);
});

test('a new run (its own segments) looks again, with the same kinds', () => {
  const pins = new PinTarget();
  const emphasis = new Set(['data']);
  expect(pins.find(kinds('header', 'data'), 2, emphasis, 'first')).toBe(1);
  expect(pins.find(kinds('header', 'header', 'data'), 3, emphasis, 'first')).toBe(2);
});
