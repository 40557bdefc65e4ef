/**
 * The page under load: runs `bench/page.ts` (three lanes racing at 100 tokens/s) and
 * `bench/scrub.ts` (scrubbing a 10,000-token run) in their own processes, after
 * `bench/idlePage.ts` (the same probe on an empty page: the baseline). Their contract is only
 * this: the last line each prints on stdout is one JSON object of figures.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { BenchConfig } from './options.ts';
import type { Figure, Log, SectionResult } from './figures.ts';
import { ratio } from './stats.ts';

/** Labels, units and goals of the figures these scripts are known to print; others are shown as they come. */
const known: Record<string, { name: string; unit: string; goal?: { text: string; met: (v: number) => boolean } }> = {
  longTasks: { name: 'long tasks (> 50 ms)', unit: '', goal: { text: '0', met: (v) => v === 0 } },
  longestTask: { name: 'longest task', unit: 'ms', goal: { text: '≤ 50 ms', met: (v) => v <= 50 } },
  frameMedian: { name: 'frame time, median', unit: 'ms' },
  frameP95: { name: 'frame time, p95', unit: 'ms', goal: { text: '< 20 ms', met: (v) => v < 20 } },
  heapMB: { name: 'JS heap at the end', unit: 'MB' },
  domNodes: { name: 'DOM nodes at the end', unit: '' },
};
/** Printed for context, not figures to compare. */
const notFigures = new Set(['seconds', 'tokensPerLane', 'frames']);

export async function pageRuns(config: BenchConfig, log: Log): Promise<SectionResult> {
  const idleSeconds = Math.min(10, config.pageSeconds);
  log(`page: an empty page for ${idleSeconds} s (the baseline)`);
  const idle = await lastLineJson(path.join(import.meta.dirname, 'idlePage.ts'), [String(idleSeconds)], 120_000);
  log(`page, empty: ${JSON.stringify(idle)}`);
  const runs: { section: string; script: string; args: string[]; timeoutMs: number }[] = [
    { section: `page, ${config.pageSeconds} s race`, script: 'page.ts', args: [String(config.pageSeconds)], timeoutMs: (config.pageSeconds + 240) * 1000 },
    ...(config.scrub ? [{ section: 'page, scrub', script: 'scrub.ts', args: [], timeoutMs: 400_000 }] : []),
  ];
  const figures: Figure[] = [];
  const details: Record<string, Record<string, unknown>> = { 'idlePage.ts': idle };
  for (const { section, script, args, timeoutMs } of runs) {
    log(`${section}: running bench/${script} ${args.join(' ')}`.trimEnd());
    const result = await lastLineJson(path.join(import.meta.dirname, script), args, timeoutMs);
    details[script] = result;
    log(`${section}: ${JSON.stringify(result)}`);
    for (const [key, value] of Object.entries(result)) {
      if (typeof value !== 'number' || notFigures.has(key)) continue;
      const about = known[key];
      const base = idle[key];
      figures.push({
        section,
        name: about?.name ?? key,
        value,
        unit: about?.unit ?? '',
        ...(typeof base === 'number' ? { baseline: { label: 'empty page', value: base }, ratio: ratio(value, base) } : {}),
        ...(about?.goal ? { goal: { text: about.goal.text, met: about.goal.met(value) } } : {}),
      });
    }
  }
  return { figures, details };
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
