/**
 * The binary searches of the page's views, on d3-array's `bisector` (one tested implementation,
 * not a hand-written `lo`/`hi` loop per view). Each takes items in ascending order of what it
 * searches by: events in time order, or running totals that only grow.
 */
import { bisector } from 'd3-array';

const identity = (x: number): number => x;

/** How many of `items` (ascending by `value`) have a value at or below `limit`. */
export function countUntil<T>(items: readonly T[], value: (item: T) => number, limit: number, count = items.length): number {
  return bisector(value).right(items, limit, 0, count);
}

/** How many of the ascending `values` are at or below `limit`. */
export function countAtMost(values: readonly number[], limit: number, count = values.length): number {
  return countUntil(values, identity, limit, count);
}

/** The first index whose item passes a test that, once true, stays true; -1 if none does. */
export function firstIndex<T>(items: readonly T[], passes: (item: T) => boolean): number {
  const i = bisector((item: T) => (passes(item) ? 1 : 0)).left(items, 1);
  return i < items.length ? i : -1;
}

/** Index of the value nearest to `x` among the first `count` ascending `values` (the later on a tie), or -1. */
export function nearest(values: readonly number[], count: number, x: number): number {
  return count > 0 ? bisector(identity).center(values, x, 0, count) : -1;
}
