import { afterEach, describe, expect, it, vi } from 'vitest';
import { PacedTokens } from './pacedTokens.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('PacedTokens', () => {
  it('emits each token at its due time', async () => {
    vi.useFakeTimers();
    const tokens = new PacedTokens(['a', 'b', 'c'], [100, 150, 400], 0, () => Date.now());
    const seen: string[] = [];
    const start = Date.now();
    const done = (async () => {
      for await (const t of tokens) seen.push(`${t.text}@${Date.now() - start}`);
    })();
    await vi.advanceTimersByTimeAsync(99);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual(['a@100']);
    await vi.advanceTimersByTimeAsync(300);
    await done;
    expect(seen).toEqual(['a@100', 'b@150', 'c@400']);
  });

  it('resumes after a given index without the thinking time, one gap after the last one seen', async () => {
    vi.useFakeTimers();
    const tokens = new PacedTokens(['a', 'b', 'c'], [1000, 1100, 1300], 2, () => Date.now());
    const first = tokens.next();
    await vi.advanceTimersByTimeAsync(199);
    let settled = false;
    void first.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await first).toEqual({ done: false, value: { index: 2, text: 'c', due: 1300 } });
    expect(await tokens.next()).toEqual({ done: true, value: undefined });
  });

  it('stops at once when its consumer stops: no timer is left behind', async () => {
    const tokens = new PacedTokens(['a', 'b'], [60_000, 60_001]);
    const pending = tokens.next();
    expect(tokens.waiting).toBe(true);
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await tokens.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(tokens.waiting).toBe(false);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before - 1);
    expect(await tokens.next()).toEqual({ done: true, value: undefined });
  });

  it('a for-await that breaks leaves no timer', async () => {
    const tokens = new PacedTokens(['a', 'b', 'c'], [0, 60_000, 60_001]);
    for await (const t of tokens) {
      expect(t.text).toBe('a');
      break;
    }
    expect(tokens.waiting).toBe(false);
  });
});
