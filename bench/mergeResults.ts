/**
 * Folding a run of some sections (`npm run bench -- --only hall`, which writes
 * bench/results.quick.json) into the full run's bench/results.json: the run's figures take the
 * place of the ones with the same section label, its details and errors those of its sections,
 * and each section's details get `run`: when, on what machine (the load average before and
 * after) and with what configuration it was measured apart from the rest. Pure; `bench/merge.ts`
 * reads and writes the files.
 */

interface ResultFigure {
  section: string;
}

export interface ResultsFile {
  date: string;
  mode: string;
  seconds: number;
  machine: unknown;
  config: { sections?: string[]; quick?: boolean } & Record<string, unknown>;
  figures: ResultFigure[];
  errors: Record<string, string>;
  details: Record<string, unknown>;
}

export function mergeResults(full: ResultsFile, part: ResultsFile): ResultsFile {
  if (part.mode !== 'full' || part.config.quick) throw new Error('Only a full-length run (not --quick) is folded into results.json.');
  const sections = part.config.sections ?? Object.keys(part.details);
  const labels = new Set(part.figures.map((f) => f.section));
  const figures: ResultFigure[] = [];
  let placed = false;
  for (const figure of full.figures) {
    if (!labels.has(figure.section)) figures.push(figure);
    else if (!placed) {
      // The new figures go where the old ones of their sections were.
      figures.push(...part.figures);
      placed = true;
    }
  }
  if (!placed) figures.push(...part.figures);
  const details = { ...full.details };
  const errors = { ...full.errors };
  const run = {
    date: part.date,
    mode: part.mode,
    seconds: part.seconds,
    machine: part.machine,
    config: part.config,
    note: `from \`npm run bench -- --only ${sections.join(',')}\`, merged here (npm run bench:merge); the other sections are from the run above`,
  };
  for (const name of sections) {
    const measured = part.details[name];
    details[name] = typeof measured === 'object' && measured !== null ? { ...measured, run } : { measured, run };
    if (name in part.errors) errors[name] = part.errors[name]!;
    else delete errors[name];
  }
  return { ...full, figures, errors, details };
}
