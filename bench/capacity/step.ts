/**
 * One measured load: a fresh server process, a fresh load generator process, N streams ramped
 * up, held, and the server's CPU and memory sampled at the edges of the hold.
 */
import path from 'node:path';
import { format } from '../figures.ts';
import { forkTs, nextMessage, stop } from '../processes.ts';
import { cpuPercent, startTarget } from './targetProcess.ts';
import type { BenchRedis, RedisCpu } from './benchRedis.ts';
import {
  loadDeadlineMs,
  type FromLoadgen,
  type LoadPlan,
  type LoadResult,
  type RedisCounts,
  type ServerSample,
  type StartLoad,
  type TargetKind,
} from './messages.ts';

export interface StepResult extends LoadResult {
  target: TargetKind;
  /** Server CPU during the hold, % of one core. */
  cpuPercent: number;
  /** Server RSS before any stream (after a GC), and at the start and end of the hold, MB. */
  rssIdleMB: number;
  rssHoldStartMB: number;
  rssMB: number;
  heapMB: number;
  /** (RSS at the end of the hold - idle RSS) / streams, KB. */
  kbPerStream: number;
  /** What the target's reply log asked of Redis, for a target whose log is on Redis; else null. */
  redis: StepRedis | null;
}

/**
 * The reply log's Redis traffic over the whole step (from the idle sample, before any stream,
 * to a sample after the last stream ended), per token, and redis-server's own CPU and memory.
 */
export interface StepRedis extends RedisCounts {
  /** Tokens the clients received (streams × tokens per stream − lost). */
  delivered: number;
  /** roundTrips / appended, commands / appended (null when nothing was appended). */
  roundTripsPerToken: number | null;
  commandsPerToken: number | null;
  /** redis-server's CPU during the hold, % of one core (INFO cpu at both ends); null if INFO failed. */
  cpuPercent: number | null;
  /** redis-server's used_memory at the end of the step, MB; null if INFO failed. */
  usedMemoryMB: number | null;
}

const loadgenEntry = path.join(import.meta.dirname, 'loadgen.ts');
const MB = 2 ** 20;

/**
 * `redis`: the Redis a `streamscope-redis` target keeps its log on; emptied (FLUSHALL) before
 * the target starts, and its CPU read at the edges of the hold.
 */
export async function runStep(target: TargetKind, plan: Omit<LoadPlan, 'port'>, redis?: BenchRedis): Promise<StepResult> {
  const loadgen = forkTs(loadgenEntry);
  try {
    await redis?.flush();
    const server = await startTarget(target, redis?.url);
    try {
      const idle = await server.sample(true);
      const samples: Promise<ServerSample>[] = [];
      const redisCpu: Promise<RedisCpu | null>[] = [];
      const onWindow = (message: FromLoadgen): void => {
        if (message.type !== 'window') return;
        samples.push(server.sample());
        if (redis) redisCpu.push(redis.cpu().catch(() => null));
      };
      loadgen.on('message', onWindow);
      const timeoutMs = loadDeadlineMs(plan) + 60_000;
      const outcome = nextMessage(
        loadgen,
        (m) => ((m as FromLoadgen).type === 'result' || (m as FromLoadgen).type === 'failed' ? (m as FromLoadgen) : undefined),
        'the load generator',
        timeoutMs,
      );
      loadgen.send({
        type: 'start',
        plan: { ...plan, port: server.port, ...(server.tlsPort === undefined ? {} : { tlsPort: server.tlsPort }) },
      } satisfies StartLoad);
      const answer = await outcome;
      loadgen.off('message', onWindow);
      if (answer.type === 'failed') throw new Error(`The load generator failed: ${answer.detail}`);
      if (answer.type !== 'result') throw new Error('unreachable');
      const [holdStart, holdEnd] = await Promise.all(samples);
      if (!holdStart || !holdEnd) throw new Error('The load generator never reported the hold.');
      const after = redis ? await server.sample() : null;
      const lost = answer.result.lost;
      const delivered = answer.result.streams * answer.result.tokensPerStream - lost;
      return {
        ...answer.result,
        target,
        cpuPercent: cpuPercent(holdStart, holdEnd),
        rssIdleMB: idle.rss / MB,
        rssHoldStartMB: holdStart.rss / MB,
        rssMB: holdEnd.rss / MB,
        heapMB: holdEnd.heapUsed / MB,
        kbPerStream: (holdEnd.rss - idle.rss) / 1024 / plan.streams,
        redis: redis && after ? await stepRedis(redis, idle, after, await Promise.all(redisCpu), delivered) : null,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await stop(loadgen);
  }
}

async function stepRedis(redis: BenchRedis, idle: ServerSample, after: ServerSample, cpu: (RedisCpu | null)[], delivered: number): Promise<StepRedis> {
  if (!idle.redis || !after.redis) throw new Error("The target did not report its reply log's Redis counters.");
  const from = idle.redis;
  const to = after.redis;
  const counts: RedisCounts = {
    roundTrips: to.roundTrips - from.roundTrips,
    commands: to.commands - from.commands,
    pipelines: to.pipelines - from.pipelines,
    appended: to.appended - from.appended,
    tailReads: to.tailReads - from.tailReads,
    connectionsOpened: to.connectionsOpened - from.connectionsOpened,
  };
  const [start, end] = cpu;
  const perToken = (n: number): number | null => (counts.appended > 0 ? n / counts.appended : null);
  return {
    ...counts,
    delivered,
    roundTripsPerToken: perToken(counts.roundTrips),
    commandsPerToken: perToken(counts.commands),
    cpuPercent: start && end ? ((end.seconds - start.seconds) * 1000 * 100) / (end.at - start.at) : null,
    usedMemoryMB: await redis.usedMemory().then(
      (bytes) => bytes / MB,
      () => null,
    ),
  };
}

/** A step holds when p99 lateness is under the limit and nothing was lost or failed. */
export function held(step: Pick<LoadResult, 'lateness' | 'lost' | 'failed'>, p99LimitMs: number): boolean {
  return step.lateness.p99 < p99LimitMs && step.lost === 0 && step.failed === 0;
}

/** One progress line about a step. */
export function describeStep(step: StepResult): string {
  const { p50, p99, max } = step.lateness;
  const errors = Object.entries(step.errors)
    .map(([message, count]) => `${count}x "${message}"`)
    .join(', ');
  return [
    `lateness p50 ${format(p50)} / p99 ${format(p99)} / max ${format(max)} ms`,
    `setup p50 ${format(step.setup.p50)} / p99 ${format(step.setup.p99)} ms`,
    `lost ${step.lost} of ${step.streams * step.tokensPerStream} tokens`,
    `${step.failed} streams failed${errors ? ` (${errors})` : ''}`,
    `server CPU ${format(step.cpuPercent)}%, RSS ${format(step.rssMB)} MB (${format(step.kbPerStream)} KB/stream)`,
    `client CPU ${format(step.client.cpuPercent)}%, loop delay p99 ${format(step.client.loopDelayP99Ms)} ms${step.client.cpuPercent > 90 ? ' (the load generator was saturated: these figures measure it as much as the server)' : ''}`,
    ...(step.tap ? [`tap read ${format(step.tap.bytes / 2 ** 20)} MB, ${step.tap.dropped} events dropped`] : []),
    ...(step.redis ? [describeRedis(step.redis)] : []),
  ].join(', ');
}

function describeRedis(redis: StepRedis): string {
  return [
    `Redis: ${redis.roundTrips} round trips / ${redis.commands} commands for ${redis.appended} tokens appended (${redis.delivered} delivered)`,
    `${format(redis.roundTripsPerToken)} / ${format(redis.commandsPerToken)} per token`,
    `${redis.tailReads} tail reads, ${redis.pipelines} write pipelines, ${redis.connectionsOpened} connections opened`,
    `redis-server CPU ${format(redis.cpuPercent)}%, used memory ${format(redis.usedMemoryMB)} MB`,
  ].join(', ');
}
