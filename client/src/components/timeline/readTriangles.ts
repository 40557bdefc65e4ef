/** Reads (the first `count`) as small upward triangles with their tip at `y`, at most one per pixel column. */
export function readTriangles(ms: readonly number[], count: number, toPx: (ms: number) => number, y: number): string {
  let d = '';
  let last = NaN;
  for (let k = 0; k < count; k++) {
    const x = toPx(ms[k]!);
    if (Math.round(x) === last) continue;
    last = Math.round(x);
    d += `M${(x - 4).toFixed(1)},${y + 7}L${x.toFixed(1)},${y}L${(x + 4).toFixed(1)},${y + 7}z`;
  }
  return d;
}
