import { expect, test } from 'vitest';
import type { SegmentKind } from '../../wire/types.ts';
import { badgeOf } from './badges.ts';
import { seg } from './testSegments.ts';

test.each<[SegmentKind, string | Uint8Array, string, string | undefined]>([
  ['chunk-size', '1e\r\n', 'chunk size 0x1e = 30 bytes', 'size 0x1e=30'],
  ['chunk-size', '1e\r\n', 'odd label', 'chunk size'],
  ['chunk-last', '0\r\n', '', 'last chunk'],
  ['chunk-crlf', '\r\n', '', 'end of chunk'],
  ['chunk-end', '\r\n', '', 'end of body'],
  ['head-end', '\r\n', '', 'end of head'],
  ['sse-dispatch', '\n', '', 'dispatch'],
  ['sse-block-end', '\n', '', 'no event'],
  ['sse-bom', '\ufeff', '', 'BOM'],
  ['empty-line', '\r\n', '', 'stray CRLF'],
  ['ws-fin-opcode', new Uint8Array([0x81]), '', 'FIN text'],
  ['ws-fin-opcode', new Uint8Array([0x09]), '', 'ping'],
  ['ws-mask-len', new Uint8Array([0x85]), '', 'MASK len 5'],
  ['ws-mask-len', new Uint8Array([0x7e]), '', 'len →16-bit'],
  ['ws-mask-len', new Uint8Array([0xff]), '', 'MASK len →64-bit'],
  ['ws-ext-len', new Uint8Array([0x01, 0x00]), 'payload length 256 bytes', 'len 256'],
  ['ws-ext-len', new Uint8Array([0x01, 0x00]), '?', 'length'],
  ['ws-mask-key', new Uint8Array([1, 2, 3, 4]), '', 'mask key'],
  ['ws-close-code', new Uint8Array([0x03, 0xe8]), 'close code 1000 (normal closure)', 'close 1000'],
  ['ws-close-code', new Uint8Array([0x03, 0xe8]), '', 'close code'],
  ['error', 'x', '', 'error'],
  ['incomplete', 'x', '', 'incomplete'],
  ['opaque', 'x', '', 'not dissected'],
  ['header', 'a: b\r\n', '', undefined],
  ['chunk-data', 'hi', '', undefined],
  ['ws-payload', 'hi', '', undefined],
])('%s %j labelled %j: %j', (kind, content, label, want) => {
  expect(badgeOf(seg(kind, content, { label }))).toBe(want);
});
