import { describe, expect, it } from 'vitest';
import { escapeNames, spokenRuns } from './spoken.ts';
import { textRuns } from './rowView.ts';

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

describe('spokenRuns', () => {
  it.each([
    ['data: hi\r\n', 'data: hi CR LF'],
    ['\r\n', 'CR LF'],
    ['a\tb', 'a TAB b'],
    ['{"text":"x"}', '{"text":"x"}'],
  ])('%j is read as %s', (bytes, spoken) => {
    expect(spokenRuns(textRuns(new TextEncoder().encode(bytes)))).toBe(spoken);
  });
});
