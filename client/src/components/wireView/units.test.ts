import { describe, expect, test } from 'vitest';
import { columns, unitsOf, type Unit } from './units.ts';
import { seg } from './testSegments.ts';

describe('columns', () => {
  test.each([
    ['', 0],
    ['abc', 3],
    ['\\r', 2],
    ['é', 1],
    ['中文', 4],
    ['한', 2],
    ['🙂', 2],
  ])('%j: %d', (text, want) => {
    expect(columns(text)).toBe(want);
  });
});

const u = (end: number, width: number, lf = false): Unit => ({ end, width, lf });

describe('unitsOf', () => {
  test.each<[string, Parameters<typeof unitsOf>[0], boolean, Unit[]]>([
    ['text', seg('body', 'ab'), false, [u(1, 1), u(2, 1)]],
    ['escapes and a line feed', seg('header', 'a\r\n'), false, [u(1, 1), u(2, 2), u(3, 2, true)]],
    ['UTF-8 as one unit', seg('body', 'é中'), false, [u(2, 1), u(5, 2)]],
    ['hex mode', seg('body', 'a\n'), true, [u(1, 3), u(2, 3, true)]],
    ['binary field in text mode', seg('ws-mask-len', new Uint8Array([0x0a])), false, [u(1, 3)]],
    ['masked payload', seg('ws-payload', new Uint8Array([0x0a, 0x0b]), { unmasked: new Uint8Array([0x0a, 0x0b]) }), false, [u(1, 4), u(2, 4)]],
  ])('%s', (_name, s, hexMode, want) => {
    expect(unitsOf(s, hexMode)).toEqual(want);
  });
});
