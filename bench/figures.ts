/** One row of the bench's table, and the table itself. */

export interface Figure {
  section: string;
  name: string;
  /** The number the ratio and the goal are about; null when it could not be measured. */
  value: number | null;
  unit: string;
  /** How to show the value when one number does not say it all (e.g. "p50 / p99 / max"). */
  text?: string;
  /** What the value is compared with, measured in the same run. */
  baseline?: { label: string; value: number | null; text?: string };
  /** value / baseline.value */
  ratio?: number | null;
  goal?: { text: string; met: boolean | null };
}

/** What one section of the bench hands back: its rows, and everything it measured for the JSON. */
export interface SectionResult {
  figures: Figure[];
  details: unknown;
}

export type Log = (line: string) => void;

/** A number with the digits it deserves: 2 decimals under 10, 1 under 100, none from 100 on or for integers. */
export function format(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  const abs = Math.abs(value);
  const digits = abs >= 100 || Number.isInteger(value) ? 0 : abs >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit ? `${text} ${unit}` : text;
}

function cells(figure: Figure): string[] {
  const value = figure.text ?? format(figure.value, figure.unit);
  const baseline = figure.baseline ? `${figure.baseline.text ?? format(figure.baseline.value, figure.unit)} (${figure.baseline.label})` : '';
  const ratio = figure.ratio === undefined ? '' : figure.ratio === null ? '—' : `${figure.ratio.toFixed(2)}x`;
  const goal = figure.goal ? `${figure.goal.text}: ${figure.goal.met === null ? 'not measured' : figure.goal.met ? 'met' : 'missed'}` : '';
  return [figure.section, figure.name, value, baseline, ratio, goal];
}

/** The figures as one Markdown table, padded so it also reads in a terminal. */
export function table(figures: readonly Figure[]): string {
  const rows = [['section', 'figure', 'value', 'baseline (same run)', 'ratio', 'goal'], ...figures.map(cells)];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]): string => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}
