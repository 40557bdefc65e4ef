/**
 * The page under load: runs `bench/page.ts` (three lanes racing at 100 tokens/s) and
 * `bench/scrub.ts` (scrubbing a 10,000-token run) in their own processes, after
 * `bench/idlePage.ts` (the same probe on an empty page: the baseline). Their contract is only
 * this: the last line each prints on stdout is one JSON object of figures.
 *
 * One run of each is not a figure another machine can reproduce: the page section runs the three
 * `config.repeats` times (default 3), interleaved (empty page, race, scrub, then again) so that
 * every repeat has its baseline next to it, and reports the median of each figure, with the
 * spread of the repeats and the CPU model beside it. Every repeat, with the load average around
 * it, is kept in the details (bench/results*.json).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { BenchConfig } from './options.ts';
import { format, type Figure, type Log, type SectionResult } from './figures.ts';
import { percentile, ratio } from './stats.ts';

/** Labels, units and goals of the figures these scripts are known to print; others are shown as they come. */
const known: Record<string, { name: string; unit: string; goal?: { text: string; met: (v: number, base: number | undefined) => boolean | null } }> = {
  longTasks: { name: 'long tasks (> 50 ms)', unit: '', goal: { text: '0', met: (v) => v === 0 } },
  longestTask: { name: 'longest task', unit: 'ms', goal: { text: '≤ 50 ms', met: (v) => v <= 50 } },
  framesPerSecond: {
    name: 'frames drawn per second',
    unit: '',
    goal: { text: '≥ 0.9x empty page', met: (v, base) => (base ? v >= 0.9 * base : null) },
  },
  frameMedian: { name: 'frame time, median', unit: 'ms' },
  frameP95: { name: 'frame time, p95', unit: 'ms', goal: { text: '≤ 1.25x empty page', met: (v, base) => (base ? v <= 1.25 * base : null) } },
  heapMB: { name: 'JS heap at the end', unit: 'MB' },
  domNodes: { name: 'DOM nodes at the end', unit: '' },
};
/** Printed for context, not figures to compare. */
const notFigures = new Set(['seconds', 'tokensPerLane', 'frames']);

/** The machine the page figures come from, shown next to each of them: "Intel(R) Xeon(R) Processor ×2". */
const cpu = `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'} ×${os.cpus().length}`;
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export async function pageRuns(config: BenchConfig, log: Log): Promise<SectionResult> {
  const idleSeconds = Math.min(10, config.pageSeconds);
  const repeats = Math.max(1, config.repeats);
  const runs: { section: string; script: string; args: string[]; timeoutMs: number }[] = [
    { section: 'empty page', script: 'idlePage.ts', args: [String(idleSeconds)], timeoutMs: 120_000 },
    { section: `page, ${config.pageSeconds} s race`, script: 'page.ts', args: [String(config.pageSeconds)], timeoutMs: (config.pageSeconds + 240) * 1000 },
    ...(config.scrub ? [{ section: 'page, scrub', script: 'scrub.ts', args: [], timeoutMs: 400_000 }] : []),
  ];
  /** Per script, the figures of every repeat, and the load average before and after it. */
  const results: Record<string, { figures: Record<string, unknown>; loadBefore: string; loadAfter: string }[]> = {};
  for (let r = 1; r <= repeats; r++) {
    for (const { section, script, args, timeoutMs } of runs) {
      const loadBefore = load();
      log(`${section} (${r} of ${repeats}): running bench/${script} ${args.join(' ')}`.trimEnd() + `, load average ${loadBefore}`);
      const figures = await lastLineJson(path.join(import.meta.dirname, script), args, timeoutMs);
      const loadAfter = load();
      (results[script] ??= []).push({ figures, loadBefore, loadAfter });
      log(`${section} (${r} of ${repeats}): ${JSON.stringify(figures)}, load average after ${loadAfter}`);
    }
  }
  const idle = medians(results['idlePage.ts']!.map((x) => x.figures));
  log(`page, empty: median of ${repeats}: ${JSON.stringify(idle.median)}`);
  const figures: Figure[] = [];
  const of = repeats > 1 ? `, median of ${repeats}` : '';
  for (const { section, script } of runs.slice(1)) {
    const { median, spread } = medians(results[script]!.map((x) => x.figures));
    for (const [key, value] of Object.entries(median)) {
      if (notFigures.has(key)) continue;
      const about = known[key];
      const base = idle.median[key];
      const unit = about?.unit ?? '';
      const range = repeats > 1 && spread[key] && spread[key]![0] !== spread[key]![1] ? ` (${format(spread[key]![0])}–${format(spread[key]![1])})` : '';
      const baseRange =
        repeats > 1 && idle.spread[key] && idle.spread[key]![0] !== idle.spread[key]![1]
          ? ` (${format(idle.spread[key]![0])}–${format(idle.spread[key]![1])})`
          : '';
      const met = about?.goal?.met(value, base);
      figures.push({
        section: `${section} [${cpu}${of}]`,
        name: about?.name ?? key,
        value,
        unit,
        ...(range ? { text: `${format(value, unit)}${range}` } : {}),
        ...(base !== undefined
          ? { baseline: { label: 'empty page', value: base, ...(baseRange ? { text: `${format(base, unit)}${baseRange}` } : {}) }, ratio: ratio(value, base) }
          : {}),
        ...(about?.goal ? { goal: { text: about.goal.text, met: met ?? null } } : {}),
      });
    }
  }
  return { figures, details: { cpu, repeats, runs: results } };
}

/** The median of each numeric figure over the repeats (nearest rank: a value some repeat measured), with its min and max. */
function medians(list: Record<string, unknown>[]): { median: Record<string, number>; spread: Record<string, [number, number]> } {
  const median: Record<string, number> = {};
  const spread: Record<string, [number, number]> = {};
  const keys = [...new Set(list.flatMap((x) => Object.keys(x)))];
  for (const key of keys) {
    const values = list.map((x) => x[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (!values.length) continue;
    const sorted = Float64Array.from(values).sort();
    median[key] = percentile(sorted, 0.5);
    spread[key] = [sorted[0]!, sorted[sorted.length - 1]!];
  }
  return { median, spread };
}

/** Runs a TypeScript script and parses the last line it printed as a JSON object. */
function lastLineJson(script: string, args: string[], timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const name = path.basename(script);
      const last = stdout.trimEnd().split('\n').at(-1) ?? '';
      const why = signal === 'SIGKILL' ? `${name} took over ${timeoutMs / 1000} s and was stopped` : `${name} exited with ${signal ?? `code ${code}`}`;
      if (code !== 0) return reject(new Error(`${why}.\n${stderr.trim().split('\n').slice(-10).join('\n')}`));
      try {
        const parsed: unknown = JSON.parse(last);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        resolve(parsed as Record<string, unknown>);
      } catch {
        reject(new Error(`${name}'s last line is not a JSON object: ${JSON.stringify(last.slice(0, 200))}`));
      }
    });
  });
}
