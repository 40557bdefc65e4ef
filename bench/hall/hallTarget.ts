/**
 * What the hall benchmark measures: a set of Streamscope processes serving one class, reached at
 * one port (the process itself, or the load balancer in front of several), with the presenter's
 * token, and a way to sample every process's CPU and memory. Each rung starts a fresh one.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hallMissing, startHall } from '../../server/hall/hall.ts';
import type { ServerSample } from '../capacity/messages.ts';
import { startTarget } from '../capacity/targetProcess.ts';

export interface RunningHall {
  /** Where followers and the presenter connect, on 127.0.0.1. */
  port: number;
  /** The presenter's token (`Authorization: Bearer`). */
  token: string;
  /** Each Streamscope process's own port, where the load counts its watchers; absent: `port` alone. */
  processPorts?: number[];
  /** Every Streamscope process of the hall, sampled now (`gc`: after a full collection, where the process allows it). */
  sample(gc?: boolean): Promise<ServerSample[]>;
  /** The hall's other programs (nginx, redis-server), sampled now from /proc, by name; absent: it has none. */
  sampleSide?(): Record<string, ServerSample>;
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
 * Two Streamscope processes behind nginx sharing one class through Redis: `startHall()` of `npm
 * run hall`, with no page. Followers and the presenter both go through nginx's port, as in a hall:
 * each follower (no cookie) is hashed to either process, the presenter keeps the cookie nginx sets
 * (hallLoad.ts) and stays on one. Each process is sampled from /proc (they are not forked with an
 * IPC channel): CPU and RSS, but no JS heap and no GC before a sample. redis-server and nginx are
 * outside the processes' figures, like redis-server in the capacity section, and sampled apart
 * (`sampleSide`): nginx's master and worker, found by its pid file and /proc.
 */
const twoProcesses: HallTarget = {
  id: 'two-processes',
  label: 'two processes + nginx + Redis',
  baseline: 'one-process',
  processes: 2,
  ...(hallMissing().length > 0 ? { unavailable: hallMissing().join('; ') } : {}),
  async start() {
    const token = randomBytes(12).toString('base64url');
    // A follower through nginx takes two connections; the ladder's top rung is 4,000 followers.
    const hall = await startHall({ processes: 2, token, staticDir: null, nginxConnections: 16_384, stderr: 'inherit' });
    return {
      port: hall.nginx.port,
      token,
      processPorts: hall.processes.map((p) => p.port),
      sample: async () => hall.processes.map((p) => procSample(p.child.pid!)),
      sampleSide: () => {
        const nginxMaster = Number(readFileSync(path.join(hall.nginx.dir, 'nginx.pid'), 'utf8').trim());
        const redis = childPids(process.pid).find(
          (pid) => procCommand(pid).includes('redis-server') && procArgs(pid).join(' ').includes(String(hall.redis.port)),
        );
        return {
          nginx: totalSample([nginxMaster, ...childPids(nginxMaster)].map(procSample)),
          ...(redis === undefined ? {} : { 'redis-server': procSample(redis) }),
        };
      },
      stop: () => hall.stop(),
    };
  },
};

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A process's CPU time and RSS from /proc (Linux); `heapUsed` is unknown (NaN). */
export function procSample(pid: number): ServerSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name in parentheses (which may hold spaces): fields 3… of stat(5).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { cpuMicros: (ticks * 1e6) / clockTicks, wallMs: performance.now(), rss: rssKb * 1024, heapUsed: NaN };
}

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The command name of a process (/proc/<pid>/comm), or '' once it is gone. */
function procCommand(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** A process's arguments (/proc/<pid>/cmdline), or [] once it is gone. */
function procArgs(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** The processes whose parent is `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (Number(statFields(Number(name))[1]) === pid) children.push(Number(name));
    } catch {
      // Gone since the listing.
    }
  }
  return children;
}

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
