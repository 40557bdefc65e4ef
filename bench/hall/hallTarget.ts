/**
 * What the hall benchmark measures: a set of Streamscope processes serving one class, reached at
 * one port (the process itself, or the load balancer in front of several), with the presenter's
 * token, and a way to sample every process's CPU and memory. Each rung starts a fresh one.
 */
import { randomBytes } from 'node:crypto';
import type { ServerSample } from '../capacity/messages.ts';
import { startTarget } from '../capacity/targetProcess.ts';

export interface RunningHall {
  /** Where followers and the presenter connect, on 127.0.0.1. */
  port: number;
  /** The presenter's token (`Authorization: Bearer`). */
  token: string;
  /** Every Streamscope process of the hall, sampled now (`gc`: after a full collection, where the process allows it). */
  sample(gc?: boolean): Promise<ServerSample[]>;
  stop(): Promise<void>;
}

export interface HallTarget {
  id: string;
  label: string;
  /** The target this one is compared with, rung by rung. */
  baseline?: string;
  /** Streamscope processes it runs (figures are summed over them). */
  processes: number;
  /** Why it cannot be measured in this build; the section reports the reason instead of figures. */
  unavailable?: string;
  start(): Promise<RunningHall>;
}

/** A server of `kind` alone in its process, with a presenter token of its own, sampled over IPC. */
async function startAlone(kind: 'streamscope-follow' | 'bare-broadcast'): Promise<RunningHall> {
  const token = randomBytes(12).toString('base64url');
  const server = await startTarget(kind, token);
  return { port: server.port, token, sample: async (gc) => [await server.sample(gc)], stop: () => server.stop() };
}

/** The baseline: a bare `node:http` fan-out of the same batches in the same bytes (bareBroadcast.ts). */
const bare: HallTarget = { id: 'bare', label: 'bare broadcast', processes: 1, start: () => startAlone('bare-broadcast') };

/** One Streamscope process (`createApp()`, the follow channel uncapped). */
const oneProcess: HallTarget = { id: 'one-process', label: 'one process', baseline: 'bare', processes: 1, start: () => startAlone('streamscope-follow') };

/**
 * TODO(startHall): two Streamscope processes behind nginx sharing one class through Redis, from
 * `startHall()` of `npm run hall` (branch `hall`, issue 16 item 2). Plug it in here: `start()`
 * calls `startHall({ processes: 2 })` with a presenter token of its own and the follow channel
 * uncapped, returns nginx's port as `port` (followers and the presenter both go through nginx, so
 * followers spread over both processes and the presenter lands on either), samples each
 * Streamscope process (if `startHall` does not fork them with IPC, read `/proc/<pid>/stat`
 * utime + stime and `/proc/<pid>/status` VmRSS; `gc` is then not possible: say so in the row),
 * and stops the whole hall. redis-server and nginx are outside the figures, like redis-server in
 * the capacity section (add their CPU as rows of their own). Then remove `unavailable`, and the
 * section reports both targets in the same run, with "two processes hold ≥ 1.6x one" as a goal.
 */
const twoProcesses: HallTarget = {
  id: 'two-processes',
  label: 'two processes + nginx + Redis',
  baseline: 'one-process',
  processes: 2,
  unavailable: 'needs startHall() from `npm run hall` (not on this branch yet)',
  start() {
    return Promise.reject(new Error(`${twoProcesses.label}: ${twoProcesses.unavailable}`));
  },
};

/** Baselines first: the targets compared with them need their figures. */
export const hallTargets: HallTarget[] = [bare, oneProcess, twoProcesses];

/** Sums per-process samples into one (CPU time and memory add up; the wall clock is the first process's). */
export function totalSample(samples: readonly ServerSample[]): ServerSample {
  const first = samples[0];
  if (!first) throw new Error('No process was sampled.');
  return {
    cpuMicros: samples.reduce((n, s) => n + s.cpuMicros, 0),
    wallMs: first.wallMs,
    rss: samples.reduce((n, s) => n + s.rss, 0),
    heapUsed: samples.reduce((n, s) => n + s.heapUsed, 0),
  };
}
