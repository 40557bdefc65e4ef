import { expect, test } from 'vitest';
import { recordSizes } from './recordSizes.ts';
import type { LaneSegment } from './LaneRecord.svelte.ts';

/** Encrypted leaves: [dir, record, length, t], on connection 1 unless given. */
function leaves(...list: [dir: 'up' | 'down', record: number, length: number, t: number, conn?: number][]): LaneSegment[] {
  return list.map(([dir, record, length, t, conn = 1]) => ({ dir, record, length, t, conn, kind: 'tls-encrypted' }) as LaneSegment);
}

test('sizes of the records the server sent, oldest first, a record in pieces summed', () => {
  const segments = leaves(['down', 5, 40, 1], ['up', 4, 30, 2], ['down', 6, 20, 3], ['down', 6, 13, 4], ['down', 7, 97, 5]);
  expect(recordSizes(segments, 10)).toEqual({ sizes: [40, 33, 97], distinct: 3 });
  expect(recordSizes(segments, 10, 'up')).toEqual({ sizes: [30], distinct: 1 });
});

test('only what the cursor has reached, and only the last few', () => {
  const segments = leaves(['down', 1, 64, 1], ['down', 2, 64, 2], ['down', 3, 128, 3], ['down', 4, 64, 4]);
  expect(recordSizes(segments, 3)).toEqual({ sizes: [64, 64, 128], distinct: 2 });
  expect(recordSizes(segments, 4, 'down', 2)).toEqual({ sizes: [128, 64], distinct: 2 });
  expect(recordSizes(segments, 0)).toEqual({ sizes: [], distinct: 0 });
});

test('records of two connections are told apart, and clear leaves are not records sizes', () => {
  const segments = [
    ...leaves(['down', 3, 10, 1, 1], ['down', 3, 12, 2, 2]),
    { dir: 'down', record: 3, length: 5, t: 3, conn: 1, kind: 'tls-length' } as LaneSegment,
  ];
  expect(recordSizes(segments, 5).sizes).toEqual([10, 12]);
});
