/**
 * Folding a run of some sections (`npm run bench -- --only hall`, which writes
 * bench/results.quick.json) into the full run's bench/results.json: the run's figures take the
 * place of the ones with the same section label, its details and errors those of its sections,
 * and `measured` says when, on what machine and with what configuration each section was
 * measured apart from the rest. Pure; `bench/merge.ts` reads and writes the files.
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
  /** Sections measured in a run of their own, folded in since the full run. */
  measured?: Record<string, { date: string; seconds: number; machine: unknown; config: unknown }>;
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
  const measured = { ...full.measured };
  for (const name of sections) {
    if (name in part.details) details[name] = part.details[name];
    else delete details[name];
    if (name in part.errors) errors[name] = part.errors[name]!;
    else delete errors[name];
    measured[name] = { date: part.date, seconds: part.seconds, machine: part.machine, config: part.config };
  }
  return { ...full, figures, errors, details, measured };
}
