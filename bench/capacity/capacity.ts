/**
 * Stream capacity: how many concurrent streams at 20 tokens/s each a server holds with p99
 * token lateness under 50 ms, for Streamscope's SSE (reply log in memory, and on Redis),
 * WebSocket and buffered endpoints (tap read) against a bare `node:http` SSE server and a bare
 * `ws` server. The Redis target's log is on one redis-server the section starts for the run
 * (emptied before each step, stopped at the end); without redis-server its rows say skipped.
 */
import type { BenchConfig } from '../options.ts';
import { format, type Figure, type Log, type SectionResult } from '../figures.ts';
import { ratio } from '../stats.ts';
import { climb, comparableN, type Rung } from './ladder.ts';
import { describeStep, held, runStep, type StepResult } from './step.ts';
import { startBenchRedis, type BenchRedisOrReason } from './benchRedis.ts';
import { workloadQuery } from './workload.ts';
import type { TapMode, TargetKind, Transport } from './messages.ts';

interface Target {
  id: string;
  label: string;
  server: TargetKind;
  transport: Transport;
  tap: TapMode;
  /** The target this one is compared with. */
  baseline?: string;
  /** Least N held as a share of the baseline's. */
  goal?: number;
  /** Its reply log is on the bench's redis-server. */
  redis?: boolean;
}

// Baselines first: the targets compared with them need their figures.
const targets: Target[] = [
  { id: 'bare-sse', label: 'bare SSE', server: 'bare-sse', transport: 'sse', tap: 'none' },
  { id: 'sse', label: 'SSE + tap, reply log in memory', server: 'streamscope', transport: 'sse', tap: 'reader', baseline: 'bare-sse', goal: 0.8 },
  // The same SSE over HTTP/2 inside TLS (ended in JavaScript, both layers tapped), 100 streams a connection, beside SSE over HTTP/1.1.
  { id: 'sse-h2', label: 'SSE over HTTP/2 + TLS + tap', server: 'streamscope-https', transport: 'h2sse', tap: 'reader', baseline: 'sse' },
  {
    id: 'sse-redis',
    label: 'SSE + tap, reply log on Redis',
    server: 'streamscope-redis',
    transport: 'sse',
    tap: 'reader',
    baseline: 'bare-sse',
    redis: true,
  },
  { id: 'bare-ws', label: 'bare ws', server: 'bare-ws', transport: 'ws', tap: 'none' },
  { id: 'ws', label: 'WebSocket + tap', server: 'streamscope', transport: 'ws', tap: 'reader', baseline: 'bare-ws' },
  { id: 'http', label: 'buffered + tap', server: 'streamscope', transport: 'http', tap: 'reader', baseline: 'bare-sse' },
];

/** A step that could not be measured at all (a process that failed to start, say) fails the climb. */
type Measured = { step: StepResult; error: null } | { step: null; error: string };
/** `skipped`: why the target was not measured (no redis-server), instead of a climb. */
type Climbed = { largestHeld: number; rungs: Rung<Measured>[]; skipped?: string };

/** The run id every stream carries, and the tap reader subscribes to. */
const run = 'bench';

export async function capacity(config: BenchConfig, log: Log): Promise<SectionResult> {
  let redis: BenchRedisOrReason | null = null;
  try {
    if (targets.some((t) => t.redis)) {
      redis = await startBenchRedis();
      log(redis.redis ? `capacity: redis-server for the reply log on Redis at ${redis.redis.url}` : `capacity: no Redis target: ${redis.skipped}`);
    }
    return await measureAll(config, log, redis);
  } finally {
    await redis?.redis?.stop();
  }
}

async function measureAll(config: BenchConfig, log: Log, redis: BenchRedisOrReason | null): Promise<SectionResult> {
  const query = workloadQuery(config.rampMs + config.holdMs, config.tps, run);
  const climbs = new Map<string, Climbed>();
  for (const target of targets) {
    if (target.redis && !redis?.redis) {
      const skipped = redis?.skipped ?? 'no redis-server';
      log(`capacity ${target.label}: skipped: ${skipped}`);
      climbs.set(target.id, { largestHeld: 0, rungs: [], skipped });
      continue;
    }
    const benchRedis = target.redis ? (redis?.redis ?? undefined) : undefined;
    const climbed = await climb(
      config.ladder,
      async (n, attempt): Promise<Measured> => {
        const what = `capacity ${target.label} N=${n}${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
        try {
          const step = await runStep(
            target.server,
            {
              transport: target.transport,
              streams: n,
              rampMs: config.rampMs,
              holdMs: config.holdMs,
              graceMs: config.graceMs,
              query,
              run,
              tap: target.tap,
            },
            benchRedis,
          );
          log(`${what}: ${describeStep(step)} → ${held(step, config.p99LimitMs) ? 'held' : 'failed'}`);
          return { step, error: null };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          log(`${what}: could not measure: ${message}`);
          return { step: null, error: message };
        }
      },
      (measured) => measured.step !== null && held(measured.step, config.p99LimitMs),
    );
    climbs.set(target.id, climbed);
    log(`capacity ${target.label}: largest N held ${climbed.largestHeld || 'none'}`);
  }

  const figures = targets
    .filter((t) => t.baseline)
    .flatMap((target) =>
      compare(
        target,
        targets.find((t) => t.id === target.baseline)!,
        climbs,
        config,
      ),
    );
  return { figures, details: Object.fromEntries(targets.map((t) => [t.id, { ...t, ...climbs.get(t.id) }])) };
}

/** The figures of one target against its baseline: largest N held, then both at a common N. */
function compare(target: Target, baseline: Target, climbs: Map<string, Climbed>, config: BenchConfig): Figure[] {
  const mine = climbs.get(target.id)!;
  const theirs = climbs.get(baseline.id)!;
  const section = 'capacity';
  if (mine.skipped !== undefined) return skippedFigures(target, baseline, theirs, mine.skipped, config);
  const largestRatio = ratio(mine.largestHeld, theirs.largestHeld);
  // 0 held means it failed at the first rung: say so rather than claim it holds nothing.
  const largest = (n: number): string | undefined => (n ? undefined : `< ${Math.min(...config.ladder)} streams`);
  const figures: Figure[] = [
    {
      section,
      name: `${target.label}: largest N with p99 < ${config.p99LimitMs} ms`,
      value: mine.largestHeld,
      unit: 'streams',
      text: largest(mine.largestHeld),
      baseline: { label: baseline.label, value: theirs.largestHeld, text: largest(theirs.largestHeld) },
      ratio: largestRatio,
      ...(target.goal === undefined ? {} : { goal: { text: `≥ ${target.goal}x`, met: largestRatio === null ? null : largestRatio >= target.goal } }),
    },
  ];
  if (target.redis) figures.push(...redisFigures(target, mine));
  const n = comparableN(mine.rungs, theirs.rungs);
  const a = mine.rungs.find((r) => r.n === n)?.result.step;
  const b = theirs.rungs.find((r) => r.n === n)?.result.step;
  if (!a || !b) return figures;
  const at = `${target.label} at N=${n}`;
  const lateness = (s: StepResult): string => `${format(s.lateness.p50)} / ${format(s.lateness.p99)} / ${format(s.lateness.max)} ms`;
  const memory = (s: StepResult): string => `${format(s.rssMB)} MB, ${format(s.kbPerStream)} KB/stream`;
  figures.push(
    {
      section,
      name: `${at}: lateness p50 / p99 / max`,
      value: a.lateness.p99,
      unit: 'ms',
      text: lateness(a),
      baseline: { label: baseline.label, value: b.lateness.p99, text: lateness(b) },
      ratio: ratio(a.lateness.p99, b.lateness.p99),
    },
    {
      section,
      name: `${at}: tokens lost / streams failed`,
      value: a.lost,
      unit: 'tokens',
      text: `${a.lost} / ${a.failed}`,
      baseline: { label: baseline.label, value: b.lost, text: `${b.lost} / ${b.failed}` },
    },
    {
      section,
      name: `${at}: server CPU`,
      value: a.cpuPercent,
      unit: '%',
      baseline: { label: baseline.label, value: b.cpuPercent },
      ratio: ratio(a.cpuPercent, b.cpuPercent),
    },
    {
      section,
      name: `${at}: server RSS (per stream)`,
      value: a.kbPerStream,
      unit: 'KB',
      text: memory(a),
      baseline: { label: baseline.label, value: b.kbPerStream, text: memory(b) },
      ratio: ratio(a.kbPerStream, b.kbPerStream),
    },
  );
  return figures;
}

/**
 * The Redis traffic of a target whose log is on Redis, at the largest N it held (or, if it held
 * none, at the first N it measured, where it failed): round trips and commands per token
 * appended over the whole step, and redis-server's own CPU during the hold.
 */
function redisFigures(target: Target, mine: Climbed): Figure[] {
  const rung = mine.rungs.find((r) => r.n === mine.largestHeld) ?? mine.rungs[0];
  const redis = rung?.result.step?.redis;
  if (!rung || !redis) return [];
  const at = `${target.label} at N=${rung.n} (${rung.held ? 'largest held' : 'failed: none held'})`;
  return [
    {
      section: 'capacity',
      name: `${at}: Redis round trips / commands per token`,
      value: redis.roundTripsPerToken,
      unit: '',
      text: [
        `${format(redis.roundTripsPerToken)} / ${format(redis.commandsPerToken)}`,
        `(${redis.roundTrips} round trips: ${redis.tailReads} tail XREADs, ${redis.pipelines} write pipelines, ${redis.roundTrips - redis.tailReads - redis.pipelines} other;`,
        `${redis.commands} commands; ${redis.appended} tokens appended, ${redis.delivered} delivered)`,
      ].join(' '),
    },
    {
      section: 'capacity',
      name: `${at}: redis-server CPU (the server's own beside it)`,
      value: redis.cpuPercent,
      unit: '%',
      text: `${format(redis.cpuPercent, '%')} (server ${format(rung.result.step!.cpuPercent, '%')})`,
    },
  ];
}

/** The rows of a target that was not measured, saying why, beside its baseline's figure. */
function skippedFigures(target: Target, baseline: Target, theirs: Climbed, reason: string, config: BenchConfig): Figure[] {
  const text = `skipped: ${reason}`;
  const rows: Figure[] = [
    {
      section: 'capacity',
      name: `${target.label}: largest N with p99 < ${config.p99LimitMs} ms`,
      value: null,
      unit: 'streams',
      text,
      baseline: { label: baseline.label, value: theirs.largestHeld, text: theirs.largestHeld ? undefined : `< ${Math.min(...config.ladder)} streams` },
      ratio: null,
    },
  ];
  if (target.redis) rows.push({ section: 'capacity', name: `${target.label}: Redis round trips / commands per token`, value: null, unit: '', text });
  return rows;
}
