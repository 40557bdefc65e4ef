import { describe, expect, it } from 'vitest';
import { goawayWatch } from './goawayWatch.ts';
import { frame, frameType } from '../testing/rawTls.ts';

const goaway = (code: number): Buffer => frame(frameType.goaway, 0, 0, Buffer.from([0, 0, 0, 0, 0, 0, 0, code, ...Buffer.from('why')]));

describe('goawayWatch', () => {
  const bytes = Buffer.concat([
    frame(frameType.settings, 0, 0, Buffer.alloc(6)),
    frame(frameType.data, 0, 1, Buffer.from([7, 7, 7, 7, 7, 7, 7, 7, 7])),
    goaway(0),
    goaway(6),
    goaway(1),
  ]);

  it.each([1, 2, 5, 9, 17, bytes.length])('finds the first GOAWAY with an error code, once, in writes of %i bytes', (size) => {
    const codes: number[] = [];
    const watch = goawayWatch((code) => codes.push(code));
    for (let i = 0; i < bytes.length; i += size) watch(bytes.subarray(i, i + size));
    expect(codes).toEqual([6]);
  });

  it('ignores a GOAWAY of NO_ERROR (a graceful close) and payload bytes that look like a GOAWAY', () => {
    const codes: number[] = [];
    const watch = goawayWatch((code) => codes.push(code));
    watch(Buffer.concat([frame(frameType.data, 0, 1, goaway(2)), goaway(0)]));
    expect(codes).toEqual([]);
  });
});
