/**
 * The hall's followers spread over several load processes (one core cannot read thousands of
 * sockets fast enough to stand for thousands of machines), and what the processes measured put
 * back together. Pure: the load processes (`hallLoad.ts`) and the rung (`hallRung.ts`) do the I/O.
 */
import { spread, type Spread } from '../stats.ts';
import type { Loss } from './delivery.ts';

/** `followers` over `processes` load processes, as evenly as can be (the first ones take the rest). */
export function splitFollowers(followers: number, processes: number): number[] {
  const k = Math.max(1, Math.min(Math.floor(processes), Math.max(1, followers)));
  const base = Math.floor(followers / k);
  return Array.from({ length: k }, (_, i) => base + (i < followers % k ? 1 : 0));
}

/** One exchange of clocks with a load process: the parent's clock when it asked and when the answer came, and the load's clock in between. */
export interface ClockExchange {
  sent: number;
  theirs: number;
  received: number;
}

/**
 * How far a load process's clock (`performance.timeOrigin + performance.now()`) is ahead of the
 * parent's: from the exchange with the shortest round trip, their reading minus the middle of
 * the round trip; `within` is half that round trip (the offset cannot be off by more).
 */
export function clockOffset(exchanges: readonly ClockExchange[]): { offsetMs: number; withinMs: number } {
  if (!exchanges.length) return { offsetMs: Number.NaN, withinMs: Number.NaN };
  const best = exchanges.reduce((a, b) => (b.received - b.sent < a.received - a.sent ? b : a));
  return { offsetMs: best.theirs - (best.sent + best.received) / 2, withinMs: (best.received - best.sent) / 2 };
}

/** What the presenter's load process says of the run it published. */
export interface PresenterPart {
  published: number;
  refused: Record<string, number>;
  records: number;
  bytes: number;
  post: Spread;
  /** The run's time 0 and each batch's `sentAt` by `seq` (ms since epoch, the presenter's clock). */
  startedAt: number;
  sentAt: number[];
}

/** What one load process's followers got. */
export interface FollowersPart {
  followers: number;
  failed: number;
  errors: Record<string, number>;
  /** Lateness of every batch every follower got, by the batch's `seq`, ms. */
  bySeq: number[][];
  loss: Loss;
  full: number;
  /** The process's CPU over the run, % of one core. */
  cpuPercent: number;
}

/** One batch's lateness over every follower. */
export interface BatchLateness extends Spread {
  seq: number;
  /** ms after the run's start it was sent. */
  sentAfterMs: number;
}

export interface MergedDelivery {
  followers: number;
  failed: number;
  errors: Record<string, number>;
  /** Lateness over every follower and every batch sent after the warm-up. */
  lateness: Spread;
  /** The warm-up's batches (sent in the run's first `warmupMs`), left out of `lateness`: how many, and their lateness. */
  warmup: { ms: number; batches: number; lateness: Spread };
  /** The batches with the largest max lateness, worst first (three). */
  worstBatches: BatchLateness[];
  loss: Loss;
  full: number;
  /** The busiest load process's CPU, and each one's, % of one core. */
  clientCpuPercent: number;
  clientCpuPerProcess: number[];
}

/** Adds up what each load process's followers missed. */
export function mergeLoss(losses: readonly Loss[]): Loss {
  const total: Loss = { expected: 0, lost: 0, followersMissing: 0, duplicates: 0, outOfOrder: 0 };
  for (const loss of losses) for (const key of Object.keys(total) as (keyof Loss)[]) total[key] += loss[key];
  return total;
}

export function mergeCounts(counts: readonly Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const c of counts) for (const [key, n] of Object.entries(c)) total[key] = (total[key] ?? 0) + n;
  return total;
}

/**
 * Every load process's followers as one audience: lateness over all of them, batches sent in the
 * run's first `warmupMs` apart (the first batches find the server, the load and every socket cold).
 */
export function mergeDelivery(presenter: Pick<PresenterPart, 'startedAt' | 'sentAt'>, parts: readonly FollowersPart[], warmupMs: number): MergedDelivery {
  const seqs = Math.max(presenter.sentAt.length, ...parts.map((p) => p.bySeq.length));
  const measured: number[] = [];
  const warm: number[] = [];
  const batches: BatchLateness[] = [];
  let warmBatches = 0;
  for (let seq = 0; seq < seqs; seq++) {
    const samples = parts.flatMap((p) => p.bySeq[seq] ?? []);
    const sentAfterMs = (presenter.sentAt[seq] ?? Number.NaN) - presenter.startedAt;
    // A batch whose sending time is unknown (a load read a seq the presenter did not publish) counts as measured.
    const isWarmup = sentAfterMs < warmupMs;
    if (isWarmup) warmBatches++;
    (isWarmup ? warm : measured).push(...samples);
    if (samples.length) batches.push({ seq, sentAfterMs, ...spread(Float64Array.from(samples)) });
  }
  const cpu = parts.map((p) => p.cpuPercent);
  return {
    followers: parts.reduce((n, p) => n + p.followers, 0),
    failed: parts.reduce((n, p) => n + p.failed, 0),
    errors: mergeCounts(parts.map((p) => p.errors)),
    lateness: spread(Float64Array.from(measured)),
    warmup: { ms: warmupMs, batches: warmBatches, lateness: spread(Float64Array.from(warm)) },
    worstBatches: batches.sort((a, b) => b.max - a.max || a.seq - b.seq).slice(0, 3),
    loss: mergeLoss(parts.map((p) => p.loss)),
    full: parts.reduce((n, p) => n + p.full, 0),
    clientCpuPercent: cpu.length ? Math.max(...cpu) : Number.NaN,
    clientCpuPerProcess: cpu,
  };
}
