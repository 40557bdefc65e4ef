/**
 * One measured hall: a fresh target, a fresh load process, M followers connected (and the server
 * sampled idle with them), then the presenter's run broadcast to them, with the server sampled at
 * the marks the load process sends. And the "run it yourself" load, measured the same way.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { format } from '../figures.ts';
import { forkTs, nextMessage, stop } from '../processes.ts';
import { cpuPercent } from '../capacity/targetProcess.ts';
import type { ServerSample } from '../capacity/messages.ts';
import { hallHeld } from './delivery.ts';
import { totalSample, type HallTarget, type RunningHall } from './hallTarget.ts';
import type { FromLoad, PresentResult, RunYourselfResult, ToLoad } from './messages.ts';

const loadEntry = path.join(import.meta.dirname, 'hallLoad.ts');
const MB = 2 ** 20;

export interface RungPlan {
  followers: number;
  tps: number;
  rampMs: number;
  runMs: number;
  graceMs: number;
  /** ms after the run's start at which to sample the server (CPU is measured between the first and the last). */
  marks: number[];
  /** Collect garbage before each mark's sample (for memory; it pauses the server). */
  gcAtMarks: boolean;
}

export interface RungResult extends PresentResult {
  target: string;
  /** Followers the server held before the run, and the ones that failed to connect. */
  connected: { opened: number; failed: number; errors: Record<string, number>; perProcess: number[] };
  /** Server CPU between the first and last mark, % of one core (summed over the target's processes). */
  cpuPercent: number;
  /**
   * RSS and JS heap in use, summed over the target's processes: idle, with every follower
   * connected and no run (both settled after a GC), and at each mark.
   */
  rssIdleMB: number;
  rssFollowingMB: number;
  heapIdleMB: number;
  heapFollowingMB: number;
  rssAtMarksMB: number[];
  heapAtMarksMB: number[];
  /** (RSS with the followers connected − idle) / M: an idle follower stream; and the same of the heap. */
  kbPerIdleFollower: number;
  heapKbPerIdleFollower: number;
  /** (RSS at the last mark − idle) / M: a follower during the run, the run kept once included. */
  kbPerFollower: number;
}

function onMessages(child: ChildProcess, handler: (message: FromLoad) => void): () => void {
  const listener = (message: unknown): void => handler(message as FromLoad);
  child.on('message', listener);
  return () => child.off('message', listener);
}

const pick =
  <T extends FromLoad['type']>(type: T) =>
  (message: unknown): Extract<FromLoad, { type: T }> | Extract<FromLoad, { type: 'failed' }> | undefined => {
    const m = message as FromLoad;
    return m.type === type || m.type === 'failed' ? (m as Extract<FromLoad, { type: T }>) : undefined;
  };

/**
 * The target's memory once it has settled: a GC, a second, then the sample. V8 gives pages back
 * to the system some time after a collection, so one sample right after start reads high.
 */
async function settled(hall: RunningHall): Promise<ServerSample> {
  await hall.sample(true);
  await sleep(1000);
  return totalSample(await hall.sample(true));
}

async function withHall<R>(target: HallTarget, body: (hall: RunningHall, load: ChildProcess) => Promise<R>): Promise<R> {
  const load = forkTs(loadEntry);
  try {
    const hall = await target.start();
    try {
      return await body(hall, load);
    } finally {
      await hall.stop();
    }
  } finally {
    await stop(load);
  }
}

export function runRung(target: HallTarget, plan: RungPlan): Promise<RungResult> {
  return withHall(target, async (hall, load) => {
    const idle = await settled(hall);
    const connected = nextMessage(load, pick('following'), 'the load process connecting followers', 60_000 + plan.followers * 20);
    load.send({
      type: 'follow',
      port: hall.port,
      followers: plan.followers,
      rampMs: plan.rampMs,
      ...(hall.processPorts ? { countPorts: hall.processPorts } : {}),
    } satisfies ToLoad);
    const following = await connected;
    if (following.type === 'failed') throw new Error(`The load process failed: ${following.detail}`);
    const withFollowers = await settled(hall);

    const marks: Promise<ServerSample>[] = [];
    const stopListening = onMessages(load, (message) => {
      if (message.type === 'mark') marks[message.index] = hall.sample(plan.gcAtMarks).then(totalSample);
    });
    const presented = nextMessage(load, pick('presented'), 'the presenter', plan.runMs + plan.graceMs + 60_000);
    load.send({ type: 'present', token: hall.token, tps: plan.tps, durationMs: plan.runMs, graceMs: plan.graceMs, marks: plan.marks } satisfies ToLoad);
    const answer = await presented;
    stopListening();
    if (answer.type === 'failed') throw new Error(`The load process failed: ${answer.detail}`);
    const sampled = await Promise.all(marks);
    if (sampled.length !== plan.marks.length || sampled.some((s) => !s)) throw new Error('The run ended before every mark was sampled.');
    const first = sampled[0]!;
    const last = sampled.at(-1)!;
    const m = plan.followers;
    return {
      ...answer.result,
      target: target.id,
      connected: { opened: following.opened, failed: following.failed, errors: following.errors, perProcess: following.perProcess },
      cpuPercent: cpuPercent(first, last),
      rssIdleMB: idle.rss / MB,
      rssFollowingMB: withFollowers.rss / MB,
      heapIdleMB: idle.heapUsed / MB,
      heapFollowingMB: withFollowers.heapUsed / MB,
      rssAtMarksMB: sampled.map((s) => s.rss / MB),
      heapAtMarksMB: sampled.map((s) => s.heapUsed / MB),
      kbPerIdleFollower: (withFollowers.rss - idle.rss) / 1024 / m,
      heapKbPerIdleFollower: (withFollowers.heapUsed - idle.heapUsed) / 1024 / m,
      kbPerFollower: (last.rss - idle.rss) / 1024 / m,
    };
  });
}

export interface OwnResult extends RunYourselfResult {
  cpuPercent: number;
  rssIdleMB: number;
  rssMB: number;
  kbPerFollower: number;
}

/** Every follower runs the step itself: 4 streams and a tap subscription each, at `tps` for `runMs`. */
export function runYourself(target: HallTarget, plan: Omit<RungPlan, 'marks' | 'gcAtMarks'>): Promise<OwnResult> {
  return withHall(target, async (hall, load) => {
    const idle = await settled(hall);
    const marks: Promise<ServerSample>[] = [];
    const stopListening = onMessages(load, (message) => {
      if (message.type === 'mark') marks[message.index] = hall.sample().then(totalSample);
    });
    const ran = nextMessage(load, pick('ran'), 'the run-it-yourself load', plan.rampMs + 2 * (plan.runMs + plan.graceMs) + 60_000);
    // The window: every follower has started (if on time), none has finished.
    const window = [plan.rampMs + 500, plan.rampMs + Math.max(1000, plan.runMs - 200)];
    load.send({
      type: 'run-yourself',
      port: hall.port,
      followers: plan.followers,
      rampMs: plan.rampMs,
      tps: plan.tps,
      durationMs: plan.runMs,
      graceMs: plan.graceMs,
      marks: window,
    } satisfies ToLoad);
    const answer = await ran;
    stopListening();
    if (answer.type === 'failed') throw new Error(`The load process failed: ${answer.detail}`);
    const [from, to] = await Promise.all(marks);
    if (!from || !to) throw new Error('The run ended before its window was sampled.');
    return {
      ...answer.result,
      cpuPercent: cpuPercent(from, to),
      rssIdleMB: idle.rss / MB,
      rssMB: to.rss / MB,
      kbPerFollower: (to.rss - idle.rss) / 1024 / plan.followers,
    };
  });
}

export function rungHeld(result: RungResult, p99LimitMs: number): boolean {
  return hallHeld({ lateness: result.lateness, loss: result.loss, failed: result.failed + result.connected.failed }, p99LimitMs);
}

/** One progress line about a rung. */
export function describeRung(r: RungResult): string {
  const errors = Object.entries({ ...r.connected.errors, ...r.errors })
    .map(([message, count]) => `${count}x "${message}"`)
    .join(', ');
  return [
    `lateness p50 ${format(r.lateness.p50)} / p99 ${format(r.lateness.p99)} / max ${format(r.lateness.max)} ms`,
    `lost ${r.loss.lost} of ${r.loss.expected} batches (${r.published} published, ${r.records} records, ${format(r.bytes / MB)} MB)`,
    `${r.connected.failed + r.failed} followers failed${errors ? ` (${errors})` : ''}`,
    ...(r.connected.perProcess.length > 1 ? [`followers per process ${r.connected.perProcess.join(' / ')}`] : []),
    `POST p50 ${format(r.post.p50)} / p99 ${format(r.post.p99)} ms${Object.keys(r.refused).length ? ` refused ${JSON.stringify(r.refused)}` : ''}`,
    `server CPU ${format(r.cpuPercent)}%, RSS idle ${format(r.rssIdleMB)} / following ${format(r.rssFollowingMB)} / end ${format(r.rssAtMarksMB.at(-1))} MB`,
    `${format(r.kbPerIdleFollower)} KB per idle follower (heap ${format(r.heapKbPerIdleFollower)} KB), ${format(r.kbPerFollower)} KB per follower in the run`,
    `load process CPU ${format(r.clientCpuPercent)}%${r.clientCpuPercent > 90 ? ' (saturated: these figures measure it as much as the server)' : ''}`,
  ].join(', ');
}

export function describeOwn(r: OwnResult): string {
  const errors = Object.entries(r.errors)
    .map(([message, count]) => `${count}x "${message}"`)
    .join(', ');
  return [
    `token lateness p50 ${format(r.lateness.p50)} / p99 ${format(r.lateness.p99)} / max ${format(r.lateness.max)} ms`,
    `lost ${r.lost} of ${r.streams * r.tokensPerStream} tokens`,
    `${r.failed} streams or taps failed${errors ? ` (${errors})` : ''}`,
    `tap read ${format(r.tapBytes / MB)} MB, ${r.tapDropped} dropped`,
    `server CPU ${format(r.cpuPercent)}%, RSS ${format(r.rssMB)} MB (${format(r.kbPerFollower)} KB per follower)`,
    `load process CPU ${format(r.clientCpuPercent)}%`,
  ].join(', ');
}
