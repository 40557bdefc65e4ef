import { describe, expect, it } from 'vitest';
import { escapeNames } from './spoken.ts';

describe('escapeNames', () => {
  it.each([
    ['\\r\\n', 'CR LF'],
    ['\\n\\n', 'LF LF'],
    ['\\t', 'TAB'],
    ['\\x00', 'byte 00'],
    ['\\x1b\\r', 'byte 1B CR'],
  ])('%s is read as %s', (drawn, spoken) => {
    expect(escapeNames(drawn)).toBe(spoken);
  });
});
