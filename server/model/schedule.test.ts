import { describe, expect, it } from 'vitest';
import { schedule } from './schedule.ts';
import { seededRandom } from './random.ts';

describe('schedule', () => {
  it('is a metronome without jitter: first token at ttft, then 1000/tps apart', () => {
    expect(schedule(4, { tps: 10, ttft: 500, jitter: 0, seed: 1 })).toEqual([500, 600, 700, 800]);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const pacing = { tps: 20, ttft: 0, jitter: 0.5, seed: 42 };
    expect(schedule(50, pacing)).toEqual(schedule(50, pacing));
    expect(schedule(50, pacing)).not.toEqual(schedule(50, { ...pacing, seed: 43 }));
  });

  it.each([0.25, 0.5, 1])('keeps every gap within ±jitter (%s) of the mean', (jitter) => {
    const due = schedule(500, { tps: 50, ttft: 0, jitter, seed: 7 });
    for (let i = 1; i < due.length; i++) {
      const gap = due[i]! - due[i - 1]!;
      expect(gap).toBeGreaterThanOrEqual(20 * (1 - jitter) - 0.002);
      expect(gap).toBeLessThanOrEqual(20 * (1 + jitter) + 0.002);
    }
  });
});

describe('seededRandom', () => {
  it('gives the same sequence for the same seed, in [0, 1)', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});
