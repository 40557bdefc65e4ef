import { describe, expect, test } from 'vitest';
import type { SegmentKind } from '../../wire/types.ts';
import { category, drawnAsHex, type Category } from './categories.ts';
import { seg } from './testSegments.ts';

describe('category', () => {
  test.each<[SegmentKind, Uint8Array | undefined, Category]>([
    ['status-line', undefined, 'head'],
    ['header', undefined, 'header'],
    ['trailer', undefined, 'header'],
    ['chunk-size', undefined, 'framing'],
    ['chunk-data', undefined, 'payload'],
    ['sse-field', undefined, 'field'],
    ['sse-comment', undefined, 'comment'],
    ['opaque', undefined, 'comment'],
    ['ws-mask-key', undefined, 'mask'],
    ['ws-payload', undefined, 'payload'],
    ['ws-payload', new Uint8Array([0x68]), 'mask'],
    ['incomplete', undefined, 'error'],
  ])('%s (unmasked %j): %s', (kind, unmasked, want) => {
    expect(category(seg(kind, 'x', { unmasked }))).toBe(want);
  });
});

describe('drawnAsHex', () => {
  test.each<[SegmentKind, boolean, boolean, boolean]>([
    ['chunk-data', false, false, false],
    ['chunk-data', false, true, true],
    ['ws-fin-opcode', false, false, true],
    ['ws-close-code', false, false, true],
    ['ws-close-reason', false, false, false],
    ['ws-payload', true, false, true],
  ])('%s (masked %s, hex mode %s): %s', (kind, masked, hexMode, want) => {
    expect(drawnAsHex(seg(kind, 'x', { unmasked: masked ? new Uint8Array([1]) : undefined }), hexMode)).toBe(want);
  });
});
