/**
 * The charts' scales: numbers to pixels and back, with round ticks. This is the part of
 * d3-scale the page uses; d3-scale itself brings its colour interpolators and number formats
 * along (about 7 KB of the page's first script, gzipped), which no chart here draws with.
 */
import { nice as niceDomain, ticks as roundTicks } from 'd3-array';

export interface Scale {
  /** The pixel for a value (clamped to the range when the scale clamps). */
  (value: number): number;
  /** The value at a pixel (clamped to the domain when the scale clamps). */
  invert(px: number): number;
  /** About `count` round values across the domain (d3-array's `ticks`). */
  ticks(count?: number): number[];
}

export interface ScaleOptions {
  /** Keep every pixel inside the range, and every inverted value inside the domain. */
  clamp?: boolean;
  /** Widen the domain to round values, about this many ticks apart (d3's `nice()` is 10). */
  nice?: number;
}

type Pair = readonly [number, number];

/** A linear scale: `domain[0]` at `range[0]`, `domain[1]` at `range[1]`. */
export function linearScale(domain: Pair, range: Pair, options: ScaleOptions = {}): Scale {
  return transformed(
    domain,
    range,
    options,
    (v) => v,
    (v) => v,
  );
}

/** A square-root scale (areas and sizes that should look proportional): sqrt(value), linearly. */
export function sqrtScale(domain: Pair, range: Pair, options: ScaleOptions = {}): Scale {
  const sqrt = (v: number): number => Math.sign(v) * Math.sqrt(Math.abs(v));
  return transformed(domain, range, options, sqrt, (v) => Math.sign(v) * v * v);
}

function transformed(domain: Pair, range: Pair, options: ScaleOptions, to: (v: number) => number, from: (v: number) => number): Scale {
  const [d0, d1] = options.nice === undefined ? domain : niceDomain(domain[0], domain[1], options.nice);
  const [t0, t1] = [to(d0), to(d1)];
  const [r0, r1] = range;
  const clamp = (t: number): number => (options.clamp ? Math.min(1, Math.max(0, t)) : t);
  // An empty domain puts every value in the middle of the range, as d3 does.
  const scale = (value: number): number => r0 + (t1 === t0 ? 0.5 : clamp((to(value) - t0) / (t1 - t0))) * (r1 - r0);
  scale.invert = (px: number): number => from(t0 + (r1 === r0 ? 0.5 : clamp((px - r0) / (r1 - r0))) * (t1 - t0));
  scale.ticks = (count = 10): number[] => roundTicks(d0, d1, count);
  return scale;
}
