import { expect, test } from 'vitest';
import { nextSelection } from './nextSelection.ts';

test.each([
  ['ArrowDown', null, 10, 4],
  ['ArrowDown', 3, 10, 4],
  ['ArrowDown', 9, 10, 9],
  ['ArrowUp', null, 10, 4],
  ['ArrowUp', 3, 10, 2],
  ['ArrowUp', 0, 10, 0],
  ['Home', 5, 10, 0],
  ['End', null, 10, 9],
  ['PageDown', 5, 10, undefined],
  ['a', null, 10, undefined],
])('%s from %s of %d: %s', (key, selection, count, want) => {
  expect(nextSelection(key, selection, count, () => 4)).toBe(want);
});
