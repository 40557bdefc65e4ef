/**
 * `npm run bench [-- --quick] [-- --only sections]`: every benchmark, one table, and the figures
 * as JSON beside this file (bench/results.json; a --quick or --only run writes
 * bench/results.quick.json, so a development run never overwrites the full one; `npm run
 * bench:merge` folds a full-length --only run into bench/results.json, bench/merge.ts).
 * Each figure sits next to a baseline measured in the same run: absolute times drift on a
 * shared machine, ratios much less.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type BenchConfig, type SectionName } from './options.ts';
import { table, type Figure, type Log, type SectionResult } from './figures.ts';
import { capacity } from './capacity/capacity.ts';
import { tapCost } from './tapCost.ts';
import { bytesPerToken } from './bytesPerToken.ts';
import { tlsCost } from './tlsCost.ts';
import { pageRuns } from './pageRuns.ts';
import { bundle } from './bundle.ts';
import { hall } from './hall/hall.ts';

const sections: Record<SectionName, (config: BenchConfig, log: Log) => Promise<SectionResult>> = {
  capacity,
  tap: tapCost,
  bytes: bytesPerToken,
  tls: tlsCost,
  page: pageRuns,
  bundle,
  hall,
};

let config: BenchConfig;
try {
  config = parseArgs(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}

const started = performance.now();
const log: Log = (line) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const machine = {
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  memoryGB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  loadBefore: os.loadavg(),
};
log(`bench ${config.quick ? '--quick' : '(full)'}: ${config.sections.join(', ')} on ${machine.cpus} cores, load average ${load()}`);

const figures: Figure[] = [];
const details: Partial<Record<SectionName, unknown>> = {};
const errors: Partial<Record<SectionName, string>> = {};
for (const name of config.sections) {
  try {
    const result = await sections[name](config, log);
    figures.push(...result.figures);
    details[name] = result.details;
  } catch (error) {
    errors[name] = error instanceof Error ? error.message : String(error);
    log(`${name}: FAILED: ${errors[name]}`);
  }
}

const seconds = Math.round((performance.now() - started) / 1000);
const complete = !config.quick && config.sections.length === Object.keys(sections).length;
const out = path.join(import.meta.dirname, complete ? 'results.json' : 'results.quick.json');
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), mode: config.quick ? 'quick' : 'full', seconds, machine: { ...machine, loadAfter: os.loadavg() }, config, figures, errors, details }, null, 2)}\n`,
);

console.log(`\n${table(figures)}\n`);
console.log(
  `${seconds} s on ${machine.cpus} cores (${machine.cpu}), load average before ${machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${load()}.`,
);
console.log(`Figures written to ${path.relative(process.cwd(), out)}.`);
for (const [name, message] of Object.entries(errors)) console.error(`Section ${name} failed: ${message}`);
process.exit(Object.keys(errors).length ? 1 : 0);
