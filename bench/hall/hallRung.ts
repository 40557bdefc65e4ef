/**
 * One measured hall: a fresh target, fresh load processes (the followers split over them, the
 * presenter in the first), M followers connected (and the server sampled idle with them), then
 * the presenter's run broadcast to them, with the server sampled at the marks the presenter's
 * process sends. And the "run it yourself" load, measured the same way (from one load process).
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
import { clockOffset, mergeDelivery, splitFollowers, type ClockExchange, type FollowersPart } from './loadSplit.ts';
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
  /** Load processes the followers are split over. */
  loadProcesses: number;
  /** Batches sent in the run's first this many ms are the warm-up: their lateness is reported apart. */
  warmupMs: number;
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
  /** CPU between the first and last mark of the hall's other programs (nginx, redis-server), % of one core; empty when it has none. */
  sideCpuPercent: Record<string, number>;
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

async function withHall<R>(target: HallTarget, loadProcesses: number, body: (hall: RunningHall, loads: ChildProcess[]) => Promise<R>): Promise<R> {
  const loads = Array.from({ length: Math.max(1, loadProcesses) }, () => forkTs(loadEntry));
  try {
    const hall = await target.start();
    try {
      return await body(hall, loads);
    } finally {
      await hall.stop();
    }
  } finally {
    await Promise.all(loads.map((load) => stop(load)));
  }
}

/** How far each load process's clock is from this one's: five exchanges each, the quickest counts. */
async function loadClocks(loads: readonly ChildProcess[]): Promise<PresentResult['clock']> {
  const offsets = await Promise.all(
    loads.map(async (load) => {
      const exchanges: ClockExchange[] = [];
      for (let i = 0; i < 5; i++) {
        const sent = performance.timeOrigin + performance.now();
        const answer = nextMessage(load, pick('clock'), 'a load process reading its clock', 10_000);
        load.send({ type: 'clock' } satisfies ToLoad);
        const reply = await answer;
        if (reply.type === 'failed') throw new Error(`A load process failed: ${reply.detail}`);
        exchanges.push({ sent, theirs: reply.now, received: performance.timeOrigin + performance.now() });
      }
      return clockOffset(exchanges);
    }),
  );
  return { offsetMs: offsets.map((o) => o.offsetMs), withinMs: offsets.map((o) => o.withinMs) };
}

/** Watchers each Streamscope process holds now (asked of each process directly, not through a load balancer). */
async function watching(ports: readonly number[]): Promise<number[]> {
  return Promise.all(
    ports.map(async (p) => {
      const res = await fetch(`http://127.0.0.1:${p}/api/follow/me`);
      return ((await res.json()) as { watching: number }).watching;
    }),
  );
}

/**
 * Opens M followers, split over the load processes, and waits until the server holds every one
 * that did not fail (each load process tells its failures; the server, the watchers it holds).
 */
async function connect(hall: RunningHall, loads: readonly ChildProcess[], followers: number, rampMs: number): Promise<RungResult['connected']> {
  const shares = splitFollowers(followers, loads.length);
  const told = loads.map(() => ({ failed: 0, errors: {} as Record<string, number> }));
  const stops = loads.map((load, i) =>
    onMessages(load, (message) => {
      if (message.type === 'following') told[i] = message;
    }),
  );
  try {
    const ramped = loads.map((load) => nextMessage(load, pick('following'), 'a load process connecting followers', 60_000 + followers * 20));
    loads.forEach((load, i) => load.send({ type: 'follow', port: hall.port, followers: shares[i] ?? 0, rampMs } satisfies ToLoad));
    for (const answer of await Promise.all(ramped)) if (answer.type === 'failed') throw new Error(`A load process failed: ${answer.detail}`);
    // The server holds a watcher once it has handled the request; the head comes with the first event.
    const deadline = performance.now() + 30_000 + followers * 10;
    let perProcess: number[] = [];
    let held = 0;
    let failed = 0;
    while (performance.now() < deadline) {
      perProcess = await watching(hall.processPorts ?? [hall.port]);
      held = perProcess.reduce((n, w) => n + w, 0);
      failed = told.reduce((n, t) => n + t.failed, 0);
      if (held + failed >= followers) break;
      await sleep(100);
    }
    const errors: Record<string, number> = {};
    for (const t of told) for (const [message, n] of Object.entries(t.errors)) errors[message] = (errors[message] ?? 0) + n;
    return { opened: held, failed, errors, perProcess };
  } finally {
    for (const stopListening of stops) stopListening();
  }
}

export function runRung(target: HallTarget, plan: RungPlan): Promise<RungResult> {
  return withHall(target, plan.loadProcesses, async (hall, loads) => {
    const clock = await loadClocks(loads);
    const idle = await settled(hall);
    const connected = await connect(hall, loads, plan.followers, plan.rampMs);
    const withFollowers = await settled(hall);

    const presenter = loads[0]!;
    const marks: Promise<ServerSample>[] = [];
    const sideMarks: Promise<Record<string, ServerSample>>[] = [];
    const stopListening = onMessages(presenter, (message) => {
      if (message.type !== 'mark') return;
      marks[message.index] = hall.sample(plan.gcAtMarks).then(totalSample);
      if (hall.sampleSide) sideMarks[message.index] = Promise.resolve(hall.sampleSide());
    });
    const presented = nextMessage(presenter, pick('presented'), 'the presenter', plan.runMs + plan.graceMs + 60_000);
    loads.forEach((load, i) =>
      load.send({
        type: 'present',
        presenter: i === 0,
        port: hall.port,
        token: hall.token,
        tps: plan.tps,
        durationMs: plan.runMs,
        marks: i === 0 ? plan.marks : [],
      } satisfies ToLoad),
    );
    const answer = await presented;
    stopListening();
    if (answer.type === 'failed') throw new Error(`The presenter's load process failed: ${answer.detail}`);
    const run = answer.part;
    const collected = loads.map((load) => nextMessage(load, pick('collected'), 'a load process collecting its followers', plan.graceMs + 60_000));
    for (const load of loads) load.send({ type: 'collect', published: run.published, graceMs: plan.graceMs } satisfies ToLoad);
    const parts: FollowersPart[] = [];
    for (const got of await Promise.all(collected)) {
      if (got.type === 'failed') throw new Error(`A load process failed: ${got.detail}`);
      parts.push(got.part);
    }
    const sampled = await Promise.all(marks);
    if (sampled.length !== plan.marks.length || sampled.some((s) => !s)) throw new Error('The run ended before every mark was sampled.');
    const first = sampled[0]!;
    const last = sampled.at(-1)!;
    const sides = await Promise.all(sideMarks);
    const sideCpuPercent: Record<string, number> = {};
    if (sides.length === plan.marks.length)
      for (const name of Object.keys(sides[0] ?? {})) sideCpuPercent[name] = cpuPercent(sides[0]![name]!, sides.at(-1)![name]!);
    const m = plan.followers;
    const { startedAt: _startedAt, sentAt: _sentAt, ...published } = run;
    return {
      ...published,
      ...mergeDelivery(run, parts, plan.warmupMs),
      loadProcesses: loads.length,
      clock,
      target: target.id,
      connected,
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
      sideCpuPercent,
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
export function runYourself(target: HallTarget, plan: Omit<RungPlan, 'marks' | 'gcAtMarks' | 'loadProcesses' | 'warmupMs'>): Promise<OwnResult> {
  return withHall(target, 1, async (hall, loads) => {
    const load = loads[0]!;
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
    ...(Object.keys(r.sideCpuPercent).length
      ? [
          Object.entries(r.sideCpuPercent)
            .map(([name, cpu]) => `${name} CPU ${format(cpu)}%`)
            .join(', '),
        ]
      : []),
    `warm-up (batches sent in the first ${format(r.warmup.ms / 1000)} s, ${r.warmup.batches} of them) p50 ${format(r.warmup.lateness.p50)} / max ${format(r.warmup.lateness.max)} ms`,
    `worst batches ${r.worstBatches.map((b) => `#${b.seq} at ${format(b.sentAfterMs / 1000)} s: p50 ${format(b.p50)} / max ${format(b.max)} ms`).join('; ')}`,
    `${r.loadProcesses} load processes, CPU ${r.clientCpuPerProcess.map((c) => `${format(c)}%`).join(' / ')}${r.clientCpuPercent > 90 ? ' (saturated: these figures measure the load as much as the server)' : ''}`,
    `load clocks ${r.clock.offsetMs.map((o, i) => `${o >= 0 ? '+' : ''}${format(o)} ± ${format(r.clock.withinMs[i])}`).join(' / ')} ms from the bench's`,
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
