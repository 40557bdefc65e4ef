/**
 * One measured load: a fresh server process, a fresh load generator process, N streams ramped
 * up, held, and the server's CPU and memory sampled at the edges of the hold.
 */
import path from 'node:path';
import { format } from '../figures.ts';
import { forkTs, nextMessage, stop } from '../processes.ts';
import { cpuPercent, startTarget } from './targetProcess.ts';
import { loadDeadlineMs, type FromLoadgen, type LoadPlan, type LoadResult, type ServerSample, type StartLoad, type TargetKind } from './messages.ts';

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
}

const loadgenEntry = path.join(import.meta.dirname, 'loadgen.ts');
const MB = 2 ** 20;

export async function runStep(target: TargetKind, plan: Omit<LoadPlan, 'port'>): Promise<StepResult> {
  const loadgen = forkTs(loadgenEntry);
  try {
    const server = await startTarget(target);
    try {
      const idle = await server.sample(true);
      const samples: Promise<ServerSample>[] = [];
      const onWindow = (message: FromLoadgen): void => {
        if (message.type === 'window') samples.push(server.sample());
      };
      loadgen.on('message', onWindow);
      const timeoutMs = loadDeadlineMs(plan) + 60_000;
      const outcome = nextMessage(
        loadgen,
        (m) => ((m as FromLoadgen).type === 'result' || (m as FromLoadgen).type === 'failed' ? (m as FromLoadgen) : undefined),
        'the load generator',
        timeoutMs,
      );
      loadgen.send({ type: 'start', plan: { ...plan, port: server.port } } satisfies StartLoad);
      const answer = await outcome;
      loadgen.off('message', onWindow);
      if (answer.type === 'failed') throw new Error(`The load generator failed: ${answer.detail}`);
      if (answer.type !== 'result') throw new Error('unreachable');
      const [holdStart, holdEnd] = await Promise.all(samples);
      if (!holdStart || !holdEnd) throw new Error('The load generator never reported the hold.');
      return {
        ...answer.result,
        target,
        cpuPercent: cpuPercent(holdStart, holdEnd),
        rssIdleMB: idle.rss / MB,
        rssHoldStartMB: holdStart.rss / MB,
        rssMB: holdEnd.rss / MB,
        heapMB: holdEnd.heapUsed / MB,
        kbPerStream: (holdEnd.rss - idle.rss) / 1024 / plan.streams,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await stop(loadgen);
  }
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
  ].join(', ');
}
