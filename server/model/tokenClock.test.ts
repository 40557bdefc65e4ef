import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenClock } from './tokenClock.ts';

describe('TokenClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires each wake-up at its time, in order, whatever order they were asked in', async () => {
    vi.useFakeTimers();
    const clock = new TokenClock(() => Date.now(), 0);
    const start = Date.now();
    const fired: string[] = [];
    for (const [name, at] of [
      ['c', 300],
      ['a', 100],
      ['b', 200],
      ['a2', 100],
    ] as const)
      clock.at(start + at, () => fired.push(`${name}@${Date.now() - start}`));
    await vi.advanceTimersByTimeAsync(99);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual(['a@100', 'a2@100']);
    await vi.advanceTimersByTimeAsync(200);
    expect(fired).toEqual(['a@100', 'a2@100', 'b@200', 'c@300']);
    expect(clock.pending).toBe(0);
  });

  it('fires the wake-ups due within its tolerance in one callback, never one due later', async () => {
    vi.useFakeTimers();
    const clock = new TokenClock(() => Date.now(), 1);
    const start = Date.now();
    const fired: number[] = [];
    for (const at of [50, 50.5, 51, 52]) clock.at(start + at, () => fired.push(Date.now() - start));
    await vi.advanceTimersByTimeAsync(50);
    expect(fired).toEqual([50, 50, 50]);
    await vi.advanceTimersByTimeAsync(2);
    expect(fired).toEqual([50, 50, 50, 52]);
  });

  it('never fires a cancelled wake-up, and lets go of its timer when nothing is left', async () => {
    vi.useFakeTimers();
    const clock = new TokenClock(() => Date.now(), 0);
    const start = Date.now();
    const fired: number[] = [];
    const cancel = clock.at(start + 10, () => fired.push(10));
    clock.at(start + 20, () => fired.push(20));
    cancel();
    await vi.advanceTimersByTimeAsync(30);
    expect(fired).toEqual([20]);
    expect(clock.pending).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-arms for a wake-up asked from inside a firing one (a stream asking for its next token)', async () => {
    vi.useFakeTimers();
    const clock = new TokenClock(() => Date.now(), 0);
    const start = Date.now();
    const fired: number[] = [];
    const next = (at: number): void => {
      clock.at(start + at, () => {
        fired.push(Date.now() - start);
        if (at < 150) next(at + 50);
      });
    };
    next(50);
    clock.at(start + 120, () => fired.push(-(Date.now() - start)));
    await vi.advanceTimersByTimeAsync(200);
    expect(fired).toEqual([50, 100, -120, 150]);
  });
});
