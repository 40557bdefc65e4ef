/**
 * `npm run bench:merge`: folds the last `--only` run (bench/results.quick.json, full length, not
 * --quick) into bench/results.json (`mergeResults`), so a section measured again on its own
 * replaces its figures there and the other sections keep theirs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mergeResults, type ResultsFile } from './mergeResults.ts';

const full = path.join(import.meta.dirname, 'results.json');
const part = path.join(import.meta.dirname, 'results.quick.json');
const read = (file: string): ResultsFile => JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
try {
  const merged = mergeResults(read(full), read(part));
  writeFileSync(full, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(`Folded ${path.relative(process.cwd(), part)} into ${path.relative(process.cwd(), full)}.`);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
