import { describe, expect, test } from 'vitest';
import { barPiece, columnChunk, ColumnPath, markPiece } from './ColumnPath.ts';

/** Events at these pixel columns with these values, drawn as `x:value;`. */
function columns(xs: number[], values = xs.map(() => 1)) {
  return new ColumnPath(
    (i) => xs[i]!,
    (i) => values[i]!,
    (x, v) => `${x}:${v};`,
  );
}

const all = (p: { settled: readonly string[]; active: string }) => p.settled.join('') + p.active;

describe('ColumnPath', () => {
  test('one mark per column, with its largest value', () => {
    const path = columns([0, 0, 1, 3, 3, 3], [5, 9, 2, 1, 7, 3]);
    expect(all(path.paths(6))).toBe('0:9;1:2;3:7;');
  });

  test('grows with the events shown', () => {
    const path = columns([0, 0, 1, 3, 3, 3], [5, 9, 2, 1, 7, 3]);
    expect(all(path.paths(1))).toBe('0:5;');
    expect(all(path.paths(4))).toBe('0:9;1:2;3:1;');
    expect(all(path.paths(6))).toBe('0:9;1:2;3:7;');
  });

  test('goes back when the cursor does', () => {
    const path = columns([0, 0, 1, 3, 3, 3], [5, 9, 2, 1, 7, 3]);
    path.paths(6);
    expect(all(path.paths(4))).toBe('0:9;1:2;3:1;');
    expect(all(path.paths(1))).toBe('0:5;');
    expect(all(path.paths(0))).toBe('');
    expect(all(path.paths(6))).toBe('0:9;1:2;3:7;');
  });

  test('full chunks settle once a later column exists, and keep the same strings', () => {
    const xs = Array.from({ length: 3 * columnChunk }, (_, i) => i);
    const path = columns(xs);
    expect(path.paths(columnChunk).settled).toHaveLength(0);
    const one = path.paths(columnChunk + 1);
    expect(one.settled).toHaveLength(1);
    expect(one.active).toBe(`${columnChunk}:1;`);
    const two = path.paths(2 * columnChunk + 5);
    expect(two.settled).toHaveLength(2);
    expect(two.settled[0]).toBe(one.settled[0]);
    expect(all(two)).toBe(
      xs
        .slice(0, 2 * columnChunk + 5)
        .map((x) => `${x}:1;`)
        .join(''),
    );
  });

  test('a scrub back into a settled chunk redraws it from there', () => {
    const xs = Array.from({ length: 3 * columnChunk }, (_, i) => i);
    const path = columns(xs);
    path.paths(xs.length);
    const back = path.paths(columnChunk + 3);
    expect(back.settled).toHaveLength(1);
    expect(all(back)).toBe(
      xs
        .slice(0, columnChunk + 3)
        .map((x) => `${x}:1;`)
        .join(''),
    );
  });
});

test('pieces: a write bar up from the base, a token mark down from its top', () => {
  expect(barPiece(44, (size) => size / 10)(10, 200)).toBe('M9.5,44h1.5v-20.0h-1.5z');
  expect(markPiece(50, 10)(10)).toBe('M9.5,50h1.5v10h-1.5z');
});
