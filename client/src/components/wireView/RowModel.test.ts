import { describe, expect, test } from 'vitest';
import type { LaneSegment } from '../../run/Run.svelte.ts';
import { hexColumns, RowModel, textColumns, type Row } from './RowModel.ts';
import { seg } from './testSegments.ts';

/** A row as text: `#1` for a separator, else its direction and pieces `seg:start-end`. */
function show(row: Row): string {
  if (row.sep) return `#${row.conn}`;
  const pieces = row.pieces.map((p) => `${p.seg}:${p.start}-${p.end}${p.nameEnd ? ` n${p.nameEnd}` : ''}${p.badge ? ` [${p.badge}]` : ''}`);
  return `${row.dir} ${pieces.join(' ')}`;
}

function layout(segments: LaneSegment[], hex = false): string[] {
  const model = new RowModel(hex, hex ? hexColumns : textColumns);
  model.sync(segments);
  return model.rows.map(show);
}

const x = (n: number): string => 'x'.repeat(n);

describe('RowModel rows', () => {
  test.each<[string, LaneSegment[], string[], boolean?]>([
    [
      'a head: one row per line, the header name marked',
      [seg('status-line', 'HTTP/1.1 200 OK\r\n'), seg('header', 'a: b\r\n', { name: 'a' }), seg('head-end', '\r\n')],
      ['#1', 'down 0:0-17', 'down 1:0-6 n2', 'down 2:0-2 [end of head]'],
    ],
    ['a long body wraps at 90 columns', [seg('body', x(100))], ['#1', 'down 0:0-90', 'down 0:90-100']],
    [
      'a short element that does not fit starts the next row',
      [seg('chunk-data', x(88)), seg('chunk-crlf', '\r\n')],
      ['#1', 'down 0:0-88', 'down 1:0-2 [end of chunk]'],
    ],
    ['one that fits stays', [seg('chunk-data', x(86)), seg('chunk-crlf', '\r\n')], ['#1', 'down 0:0-86 1:0-2 [end of chunk]']],
    ['a change of direction starts a row', [seg('body', 'ab'), seg('body', 'cd', { dir: 'up' })], ['#1', 'down 0:0-2', 'up 1:0-2']],
    ['a new connection gets a separator', [seg('body', 'ab'), seg('body', 'cd', { conn: 2 })], ['#1', 'down 0:0-2', '#2', 'down 1:0-2']],
    [
      'a WebSocket frame is one row',
      [
        seg('ws-fin-opcode', new Uint8Array([0x81])),
        seg('ws-mask-len', new Uint8Array([0x02])),
        seg('ws-payload', 'hi'),
        seg('ws-fin-opcode', new Uint8Array([0x89])),
        seg('ws-mask-len', new Uint8Array([0x00])),
      ],
      ['#1', 'down 0:0-1 [FIN text] 1:0-1 [len 2] 2:0-2', 'down 3:0-1 [FIN ping] 4:0-1 [len 0]'],
    ],
    [
      'an HTTP/2 frame header is a row of its own, and each frame starts one',
      [
        seg('h2-length', new Uint8Array([0, 0, 6]), { layer: 'h2', label: 'length 6 bytes' }),
        seg('h2-type', new Uint8Array([0]), { layer: 'h2', label: 'type DATA' }),
        seg('h2-flags', new Uint8Array([0]), { layer: 'h2', label: 'flags none' }),
        seg('h2-stream-id', new Uint8Array([0, 0, 0, 3]), { layer: 'h2', label: 'stream 3' }),
        seg('h2-data', 'hi the'),
        seg('h2-length', new Uint8Array([0, 0, 4]), { layer: 'h2', label: 'length 4 bytes' }),
        seg('h2-type', new Uint8Array([8]), { layer: 'h2', label: 'type WINDOW_UPDATE' }),
        seg('h2-flags', new Uint8Array([0]), { layer: 'h2', label: 'flags none' }),
        seg('h2-stream-id', new Uint8Array([0, 0, 0, 0]), { layer: 'h2', label: 'stream 0' }),
      ],
      ['#1', 'down 0:0-3 [len 6] 1:0-1 [DATA] 2:0-1 3:0-4 [stream 3]', 'down 4:0-6', 'down 5:0-3 [len 4] 6:0-1 [WINDOW_UPDATE] 7:0-1 8:0-4 [stream 0]'],
    ],
    [
      'a header split over two reads keeps its name',
      [
        seg('header', 'Conte', { name: 'Content-Type', part: 'first', element: 7 }),
        seg('header', 'nt-Type: x\r\n', { name: 'Content-Type', part: 'last', element: 7 }),
      ],
      ['#1', 'down 0:0-5 n5 1:0-12 n8'],
    ],
    ['hex wraps at 24 bytes', [seg('body', x(30))], ['#1', 'down 0:0-24', 'down 0:24-30'], true],
  ])('%s', (_name, segments, want, hex) => {
    expect(layout(segments, hex)).toEqual(want);
  });

  test('syncing in steps lays out the same rows as all at once', () => {
    const segments = [seg('status-line', 'HTTP/1.1 200 OK\r\n'), seg('body', x(50)), seg('body', x(50)), seg('body', 'a\nb', { dir: 'up' })];
    const model = new RowModel(false, textColumns);
    for (let n = 1; n <= segments.length; n++) model.sync(segments.slice(0, n));
    expect(model.rows.map(show)).toEqual(layout(segments));
  });
});

describe('RowModel searches', () => {
  // Rows: #1, 0, 1 | 2 (wraps: 88 + 5 > 90), 3 (up).
  const model = new RowModel(false, textColumns);
  model.sync([
    seg('body', 'a\n', { t: 5, token: 0 }),
    seg('body', x(88), { t: 3, token: 1 }),
    seg('body', x(5), { t: 8, token: 1 }),
    seg('body', 'b', { t: 9, dir: 'up' }),
  ]);

  test('layout', () => {
    expect(model.rows.map(show)).toEqual(['#1', 'down 0:0-2', 'down 1:0-88', 'down 2:0-5', 'up 3:0-1']);
    expect(model.rowOf).toEqual([1, 2, 3, 4]);
    expect([...model.tokenAt]).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  test.each([
    [0, 0],
    [4, 0],
    [5, 2],
    [7, 2],
    [8, 3],
    [100, 4],
  ])('countUpTo(%d): %d', (t, want) => {
    expect(model.countUpTo(t)).toBe(want);
  });

  test.each([
    [0, 0],
    [1, 2],
    [2, 3],
    [4, 5],
  ])('rowsFor(%d): %d', (count, want) => {
    expect(model.rowsFor(count)).toBe(want);
  });
});

describe('RowModel pinned rows and clean ends', () => {
  // Rows: #1, status, header, then per chunk a size row (odd: 3, 5…) and a data row.
  const segments = [seg('status-line', 'HTTP/1.1 200 OK\r\n'), seg('header', 'a: b\r\n', { name: 'a' })];
  for (let i = 0; i < 50; i++) segments.push(seg('chunk-size', '5\r\n'), seg('chunk-data', 'hello'), seg('chunk-crlf', '\r\n'));
  const model = new RowModel(false, textColumns);
  model.sync(segments);

  test('the pinned block ends at a chunk', () => {
    expect(model.rows).toHaveLength(103);
    expect(model.pinned).toBe(33);
  });

  test('a short lane is all pinned', () => {
    const small = new RowModel(false, textColumns);
    small.sync(segments.slice(0, 8));
    expect(small.pinned).toBe(small.rows.length);
  });

  test.each([
    [34, 103, 35],
    [35, 103, 35],
    [40, 40, 40],
    [101, 103, 101],
    [102, 103, 103],
  ])('cleanEnd(%d, %d): %d', (end, limit, want) => {
    expect(model.cleanEnd(end, limit)).toBe(want);
  });
});
