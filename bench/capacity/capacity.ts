/**
 * Stream capacity: how many concurrent streams at 20 tokens/s each a server holds with p99
 * token lateness under 50 ms, for Streamscope's SSE, WebSocket and buffered endpoints (tap
 * read) against a bare `node:http` SSE server and a bare `ws` server.
 */
import type { BenchConfig } from '../options.ts';
import { format, type Figure, type Log, type SectionResult } from '../figures.ts';
import { ratio } from '../stats.ts';
import { climb, comparableN, type Rung } from './ladder.ts';
import { describeStep, held, runStep, type StepResult } from './step.ts';
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
}

// Baselines first: the targets compared with them need their figures.
const targets: Target[] = [
  { id: 'bare-sse', label: 'bare SSE', server: 'bare-sse', transport: 'sse', tap: 'none' },
  { id: 'sse', label: 'SSE + tap', server: 'streamscope', transport: 'sse', tap: 'reader', baseline: 'bare-sse', goal: 0.8 },
  { id: 'bare-ws', label: 'bare ws', server: 'bare-ws', transport: 'ws', tap: 'none' },
  { id: 'ws', label: 'WebSocket + tap', server: 'streamscope', transport: 'ws', tap: 'reader', baseline: 'bare-ws' },
  { id: 'http', label: 'buffered + tap', server: 'streamscope', transport: 'http', tap: 'reader', baseline: 'bare-sse' },
];

/** A step that could not be measured at all (a process that failed to start, say) fails the climb. */
type Measured = { step: StepResult; error: null } | { step: null; error: string };
type Climbed = { largestHeld: number; rungs: Rung<Measured>[] };

/** The run id every stream carries, and the tap reader subscribes to. */
const run = 'bench';

export async function capacity(config: BenchConfig, log: Log): Promise<SectionResult> {
  const query = workloadQuery(config.rampMs + config.holdMs, config.tps, run);
  const climbs = new Map<string, Climbed>();
  for (const target of targets) {
    const climbed = await climb(
      config.ladder,
      async (n, attempt): Promise<Measured> => {
        const what = `capacity ${target.label} N=${n}${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
        try {
          const step = await runStep(target.server, {
            transport: target.transport,
            streams: n,
            rampMs: config.rampMs,
            holdMs: config.holdMs,
            graceMs: config.graceMs,
            query,
            run,
            tap: target.tap,
          });
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
