/** The bench's handle on a server under test running in its own process (target.ts). */
import path from 'node:path';
import { forkTs, nextMessage, stop } from '../processes.ts';
import type { FromTarget, SampleRequest, ServerSample, TargetKind } from './messages.ts';

export interface TargetProcess {
  port: number;
  /** The HTTPS port, of a `streamscope-https` target. */
  tlsPort?: number;
  /** CPU time, wall time and memory of the server process right now. */
  sample(gc?: boolean): Promise<ServerSample>;
  stop(): Promise<void>;
}

const entry = path.join(import.meta.dirname, 'target.ts');

/** `arg`: the Redis a `streamscope-redis` target keeps its reply log on, the presenter token of a `streamscope-follow` one. */
export async function startTarget(kind: TargetKind, arg?: string): Promise<TargetProcess> {
  // STREAMSCOPE_BENCH_CPU_PROF=<dir>: every server under test writes a V8 CPU profile there as it
  // stops (`node --cpu-prof`; open it in Chrome DevTools), to see where a target's time goes.
  const profileDir = process.env.STREAMSCOPE_BENCH_CPU_PROF;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = forkTs(entry, arg === undefined ? [kind] : [kind, arg], ['--expose-gc', ...profile]);
  try {
    const { port, tlsPort } = await nextMessage(
      child,
      (m) => ((m as FromTarget).type === 'ready' ? (m as { port: number; tlsPort?: number }) : undefined),
      `starting the ${kind} server`,
      30_000,
    );
    return {
      port,
      ...(tlsPort === undefined ? {} : { tlsPort }),
      async sample(gc = false) {
        const answer = nextMessage(
          child,
          (m) => ((m as FromTarget).type === 'sample' ? (m as ServerSample) : undefined),
          `sampling the ${kind} server`,
          30_000,
        );
        child.send({ type: 'sample', gc } satisfies SampleRequest);
        return answer;
      },
      stop: () => stop(child),
    };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

/** CPU % of one core the target used between two samples. */
export function cpuPercent(from: ServerSample, to: ServerSample): number {
  return ((to.cpuMicros - from.cpuMicros) / 1000 / (to.wallMs - from.wallMs)) * 100;
}
