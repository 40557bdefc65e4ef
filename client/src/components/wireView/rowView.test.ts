import { describe, expect, test } from 'vitest';
import type { LaneSegment } from '../../run/Run.svelte.ts';
import { bytes } from '../../wire/testKit.ts';
import { RowModel, textColumns, type Piece } from './RowModel.ts';
import { connLabel, pieceView, rowView, textRuns, type RowView, type TextRun } from './rowView.ts';
import { seg } from './testSegments.ts';

describe('textRuns', () => {
  test.each<[string, TextRun[]]>([
    ['', []],
    ['ab', [{ text: 'ab', esc: false }]],
    [
      'a\r\nb',
      [
        { text: 'a', esc: false },
        { text: '\\r\\n', esc: true },
        { text: 'b', esc: false },
      ],
    ],
    ['a\\b', [{ text: 'a\\\\b', esc: false }]],
  ])('%j', (text, want) => {
    expect(textRuns(bytes(text))).toEqual(want);
  });
});

const piece = (start: number, end: number, nameEnd = 0, badge?: string): Piece => ({ seg: 3, start, end, nameEnd, badge });

describe('pieceView', () => {
  test.each<[string, Piece, LaneSegment, boolean, Partial<ReturnType<typeof pieceView>>]>([
    [
      'a header: name and value',
      piece(0, 6, 2),
      seg('header', 'a: b\r\n', { name: 'a' }),
      false,
      {
        key: '3:0',
        head: true,
        length: 6,
        category: 'header',
        hex: false,
        data: false,
        parts: [
          { cls: 'name', runs: [{ text: 'a:', esc: false }] },
          {
            cls: 'value',
            runs: [
              { text: ' b', esc: false },
              { text: '\\r\\n', esc: true },
            ],
          },
        ],
      },
    ],
    [
      'a continuation piece in hex mode',
      piece(2, 4, 0, 'end of chunk'),
      seg('chunk-data', 'abcd'),
      true,
      {
        key: '3:2',
        head: false,
        length: 2,
        category: 'payload',
        hex: true,
        parts: [{ cls: '', runs: [{ text: '63 64', esc: false }] }],
        badge: 'end of chunk',
      },
    ],
    [
      'an SSE data field carries the reply',
      piece(0, 8),
      seg('sse-field', 'data: x\n', { name: 'data' }),
      false,
      {
        category: 'field',
        data: true,
        parts: [
          {
            cls: 'value',
            runs: [
              { text: 'data: x', esc: false },
              { text: '\\n', esc: true },
            ],
          },
        ],
      },
    ],
    [
      'a masked payload shows its unmasked text',
      piece(0, 2),
      seg('ws-payload', new Uint8Array([0x20, 0x21]), { unmasked: bytes('hi') }),
      false,
      { category: 'mask', hex: true, parts: [{ cls: '', runs: [{ text: '20 21', esc: false }] }], unmasked: [{ text: 'hi', esc: false }] },
    ],
  ])('%s', (_name, p, s, hexMode, want) => {
    expect(pieceView(p, s, hexMode)).toMatchObject(want);
  });
});

describe('rowView', () => {
  const segments = [seg('body', 'ab\n', { t: 0 }), seg('body', 'cd', { t: 1 }), seg('body', 'ef', { t: 2 })];
  const model = new RowModel(false, textColumns);
  model.sync(segments);

  test.each<[number, number, Partial<RowView>, number]>([
    [0, 3, { index: 0, sep: true, conn: 1, cont: false }, 0],
    [1, 3, { index: 1, sep: false, dir: 'down', cont: false }, 1],
    [2, 2, { index: 2 }, 1],
    [2, 3, { index: 2 }, 2],
  ])('row %d with %d segments', (r, count, want, pieces) => {
    const view = rowView(model, r, count, segments, new Map());
    expect(view).toMatchObject(want);
    expect(view.pieces).toHaveLength(pieces);
  });

  test('a final row comes from the cache, the last row is rebuilt', () => {
    const cache = new Map<number, RowView>();
    const first = rowView(model, 1, 3, segments, cache);
    expect(rowView(model, 1, 3, segments, cache)).toBe(first);
    const last = rowView(model, 2, 3, segments, cache);
    expect(rowView(model, 2, 3, segments, cache)).not.toBe(last);
  });
});

describe('connLabel', () => {
  test.each([
    [2, undefined, 'connection #2'],
    [1, { method: 'GET', path: '/api/chat' }, 'connection #1 · GET /api/chat'],
    [3, { method: 'POST', path: '/api/chat?tps=100&ttft=0' }, 'connection #3 · POST /api/chat?…'],
  ])('%d %j: %s', (conn, info, want) => {
    expect(connLabel(conn, info)).toBe(want);
  });
});
