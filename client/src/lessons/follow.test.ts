import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { movePublisher } from './follow.ts';
import type { ClassPosition } from '../../../shared/follow.ts';

const at = (step: number): ClassPosition => ({ slug: 'why-stream', step, blank: false });

/** A fake POST /api/follow: answers each move with the next of `answers` ('network': it throws), then 204. */
function fakePost(answers: (number | 'network')[]) {
  const sent: number[] = [];
  const post = (position: ClassPosition) => {
    sent.push(position.step);
    const answer = answers.shift() ?? 204;
    return answer === 'network' ? Promise.reject(new TypeError('Failed to fetch')) : Promise.resolve({ status: answer });
  };
  return { sent, post };
}

describe('the presenter’s moves', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test('a move that meets a 503 or the network is sent again every second until it gets through', async () => {
    const { sent, post } = fakePost([503, 'network', 503]);
    const publish = movePublisher(post, 1000);
    publish(at(3));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([3]);
    await vi.advanceTimersByTimeAsync(999);
    expect(sent).toEqual([3]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([3, 3]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toEqual([3, 3, 3, 3]);
    // Through: nothing more is sent.
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([3, 3, 3, 3]);
  });

  test('a newer move replaces the one waiting to be sent again: only where the class is now is sent', async () => {
    const { sent, post } = fakePost([503, 503]);
    const publish = movePublisher(post, 1000);
    publish(at(1));
    await vi.advanceTimersByTimeAsync(0);
    publish(at(2));
    await vi.advanceTimersByTimeAsync(0);
    // Sent at once (not at the retry's time), and the failed move 1 is not sent again.
    expect(sent).toEqual([1, 2]);
    // Move 2 waits to be sent again; move 3 goes now instead, and gets through.
    publish(at(3));
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([1, 2, 3]);
  });

  test('moves go one at a time, in order: one made while another is on its way follows it', async () => {
    let answer: (() => void) | undefined;
    const sent: number[] = [];
    const publish = movePublisher((position) => {
      sent.push(position.step);
      return new Promise((resolve) => (answer = () => resolve({ status: 204 })));
    }, 1000);
    publish(at(1));
    publish(at(2));
    publish(at(3));
    expect(sent).toEqual([1]);
    answer!();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1, 3]);
    answer!();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([1, 3]);
  });

  test('a refusal (403: not the presenter; 400) is final', async () => {
    const { sent, post } = fakePost([403]);
    const publish = movePublisher(post, 1000);
    publish(at(1));
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([1]);
  });
});
