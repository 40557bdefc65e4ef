import { describe, expect, it } from 'vitest';
import { FollowerLog, countLoss } from './delivery.ts';
import { clockOffset, mergeDelivery, mergeLoss, splitFollowers, type FollowersPart } from './loadSplit.ts';

describe('splitFollowers', () => {
  it('spreads the followers as evenly as can be, the first processes taking the rest', () => {
    expect(splitFollowers(2000, 2)).toEqual([1000, 1000]);
    expect(splitFollowers(1001, 2)).toEqual([501, 500]);
    expect(splitFollowers(10, 3)).toEqual([4, 3, 3]);
  });

  it('never makes a process with no followers, nor fewer than one process', () => {
    expect(splitFollowers(1, 4)).toEqual([1]);
    expect(splitFollowers(250, 0)).toEqual([250]);
    expect(splitFollowers(0, 2)).toEqual([0]);
  });

  it('loses no follower', () => {
    for (const [m, k] of [
      [4000, 3],
      [250, 7],
      [17, 17],
    ] as const)
      expect(splitFollowers(m, k).reduce((a, b) => a + b, 0)).toBe(m);
  });
});

describe('clockOffset', () => {
  it('takes the quickest exchange: their reading minus the middle of its round trip, within half of it', () => {
    const offset = clockOffset([
      { sent: 1000, theirs: 1010, received: 1008 },
      { sent: 2000, theirs: 2001.5, received: 2001 },
    ]);
    expect(offset.offsetMs).toBeCloseTo(1);
    expect(offset.withinMs).toBeCloseTo(0.5);
  });

  it('is unknown without an exchange', () => {
    expect(clockOffset([]).offsetMs).toBeNaN();
  });
});

function part(bySeq: number[][], logs: FollowerLog[], published: number, cpuPercent = 10): FollowersPart {
  return { followers: logs.length, failed: 0, errors: {}, bySeq, loss: countLoss(logs, published), full: 0, cpuPercent };
}

function logOf(...seqs: number[]): FollowerLog {
  const log = new FollowerLog();
  for (const seq of seqs) log.receive(seq);
  return log;
}

describe('mergeDelivery', () => {
  const presenter = { startedAt: 5000, sentAt: [5200, 5400, 6200, 6400] };

  it('puts every process’s samples together and leaves the warm-up’s batches out of the lateness', () => {
    const a = part([[300], [200], [10], [20]], [logOf(0, 1, 2, 3)], 4, 30);
    const b = part([[400], [100], [30], [40]], [logOf(0, 1, 2, 3)], 4, 20);
    const merged = mergeDelivery(presenter, [a, b], 1000);
    expect(merged.followers).toBe(2);
    expect(merged.lateness).toEqual({ count: 4, p50: 20, p99: 40, max: 40 });
    expect(merged.warmup).toEqual({ ms: 1000, batches: 2, lateness: { count: 4, p50: 200, p99: 400, max: 400 } });
    expect(merged.worstBatches.map((w) => w.seq)).toEqual([0, 1, 3]);
    expect(merged.worstBatches[0]).toMatchObject({ seq: 0, sentAfterMs: 200, max: 400 });
    expect(merged.clientCpuPercent).toBe(30);
    expect(merged.clientCpuPerProcess).toEqual([30, 20]);
  });

  it('measures every batch without a warm-up', () => {
    const merged = mergeDelivery(presenter, [part([[300], [200], [10], [20]], [logOf(0, 1, 2, 3)], 4)], 0);
    expect(merged.warmup.batches).toBe(0);
    expect(merged.lateness.count).toBe(4);
    expect(merged.lateness.max).toBe(300);
  });

  it('adds up loss, failures and errors over the processes', () => {
    const a: FollowersPart = { ...part([[1], [1]], [logOf(0, 1), logOf(0)], 2), failed: 1, errors: { 'HTTP 503': 1 }, full: 1 };
    const b: FollowersPart = { ...part([[1], []], [logOf(0)], 2), failed: 2, errors: { 'HTTP 503': 1, 'socket hang up': 1 } };
    const merged = mergeDelivery({ startedAt: 0, sentAt: [2000, 2200] }, [a, b], 1000);
    expect(merged.loss).toEqual({ expected: 6, lost: 2, followersMissing: 2, duplicates: 0, outOfOrder: 0 });
    expect(merged.failed).toBe(3);
    expect(merged.errors).toEqual({ 'HTTP 503': 2, 'socket hang up': 1 });
    expect(merged.full).toBe(1);
  });
});

describe('mergeLoss', () => {
  it('sums every count', () => {
    const loss = { expected: 10, lost: 1, followersMissing: 1, duplicates: 2, outOfOrder: 3 };
    expect(mergeLoss([loss, loss])).toEqual({ expected: 20, lost: 2, followersMissing: 2, duplicates: 4, outOfOrder: 6 });
    expect(mergeLoss([])).toEqual({ expected: 0, lost: 0, followersMissing: 0, duplicates: 0, outOfOrder: 0 });
  });
});
