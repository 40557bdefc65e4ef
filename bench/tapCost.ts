/**
 * Tap cost: the same SSE load on Streamscope with nobody on `/api/tap`, with a reader that keeps
 * up, and with one that stops reading. A reader may cost some CPU (each event is encoded and
 * written); a stuck one must not make the server buffer without bound.
 */
import type { BenchConfig } from './options.ts';
import { format, type Figure, type Log, type SectionResult } from './figures.ts';
import { ratio } from './stats.ts';
import { describeStep, runStep, type StepResult } from './capacity/step.ts';
import { workloadQuery } from './capacity/workload.ts';
import type { TapMode } from './capacity/messages.ts';

const run = 'tapcost';
const modes: { mode: TapMode; label: string }[] = [
  { mode: 'none', label: 'no tap reader' },
  { mode: 'reader', label: 'tap reader' },
  { mode: 'slow', label: 'slow tap reader' },
];

export async function tapCost(config: BenchConfig, log: Log): Promise<SectionResult> {
  const query = workloadQuery(config.rampMs + config.holdMs, config.tps, run);
  const steps = {} as Record<TapMode, StepResult>;
  for (const { mode, label } of modes) {
    steps[mode] = await runStep('streamscope', {
      transport: 'sse',
      streams: config.tapStreams,
      rampMs: config.rampMs,
      holdMs: config.holdMs,
      graceMs: config.graceMs,
      query,
      run,
      tap: mode,
    });
    log(`tap cost, ${label}, SSE N=${config.tapStreams}: ${describeStep(steps[mode])}`);
  }
  const { none, reader, slow } = steps;
  const section = 'tap cost';
  const at = `SSE N=${config.tapStreams}`;
  const base = (value: number, label = 'no tap reader') => ({ label, value });
  const cpuRatio = ratio(reader.cpuPercent, none.cpuPercent);
  const rssRatio = ratio(slow.rssMB, none.rssMB);
  const growth = (s: StepResult): number => s.rssMB - s.rssHoldStartMB;
  const figures: Figure[] = [
    {
      section,
      name: `${at}: server CPU with a tap reader (${format((reader.tap?.bytes ?? 0) / 2 ** 20)} MB read)`,
      value: reader.cpuPercent,
      unit: '%',
      baseline: base(none.cpuPercent),
      ratio: cpuRatio,
      goal: { text: '≤ 1.15x', met: cpuRatio === null ? null : cpuRatio <= 1.15 },
    },
    {
      section,
      name: `${at}: p99 lateness with a tap reader`,
      value: reader.lateness.p99,
      unit: 'ms',
      baseline: base(none.lateness.p99),
      ratio: ratio(reader.lateness.p99, none.lateness.p99),
    },
    {
      section,
      name: `${at}: server CPU with a slow tap reader`,
      value: slow.cpuPercent,
      unit: '%',
      baseline: base(none.cpuPercent),
      ratio: ratio(slow.cpuPercent, none.cpuPercent),
    },
    // Flat: the server drops events for a reader past 1 MiB behind (tapRoute.ts) instead of queueing them.
    {
      section,
      name: `${at}: server RSS with a slow tap reader`,
      value: slow.rssMB,
      unit: 'MB',
      baseline: base(none.rssMB),
      ratio: rssRatio,
      goal: { text: 'flat (≤ 1.1x)', met: rssRatio === null ? null : rssRatio <= 1.1 },
    },
    {
      section,
      name: `${at}: RSS growth over the ${config.holdMs / 1000} s hold, slow tap reader`,
      value: growth(slow),
      unit: 'MB',
      baseline: base(growth(none)),
    },
  ];
  return { figures, details: steps };
}
