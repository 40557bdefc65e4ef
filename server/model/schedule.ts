import { seededRandom } from './random.ts';

export interface Pacing {
  /** Tokens per second (mean). */
  tps: number;
  /** Milliseconds of "thinking" before the first token. */
  ttft: number;
  /** Spread of the gaps: 0 is a metronome, 1 lets a gap range from 0 to twice the mean. */
  jitter: number;
  /** Seed of the gap randomness. */
  seed: number;
}

/**
 * When each token is due, in milliseconds after the request: token 0 at `ttft`, then one gap
 * per token of mean 1000/tps, each spread uniformly by ±jitter. Pure and deterministic.
 */
export function schedule(count: number, { tps, ttft, jitter, seed }: Pacing): number[] {
  const random = seededRandom(seed);
  const mean = 1000 / tps;
  const due: number[] = [];
  let at = ttft;
  for (let i = 0; i < count; i++) {
    if (i > 0) at += mean * (1 + jitter * (2 * random() - 1));
    due.push(Math.round(at * 1000) / 1000);
  }
  return due;
}
