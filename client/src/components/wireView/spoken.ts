/**
 * What a screen reader says for the escapes a byte view draws: names ("CR LF"), not "backslash r
 * backslash n". A segment's option is named by its content (so its name holds its visible text,
 * WCAG 2.5.3), each drawn escape an image named this way; its label is its description (title).
 * A segment wrapped over rows is one option: its name goes on with the rest (`spokenRuns`).
 */

const names: Record<string, string> = { r: 'CR', n: 'LF', t: 'TAB' };

/** `\r\n` → `CR LF`, `\x00` → `byte 00`. */
export function escapeNames(drawn: string): string {
  const out: string[] = [];
  for (const [, code] of drawn.matchAll(/\\(x[0-9a-fA-F]{2}|.)/g)) {
    if (code === undefined) continue;
    out.push(names[code] ?? (code.startsWith('x') ? `byte ${code.slice(1).toUpperCase()}` : code));
  }
  return out.join(' ');
}

/** Drawn runs as a screen reader should hear them: escapes by name, the rest as written. */
export function spokenRuns(runs: readonly { text: string; esc: boolean }[]): string {
  return runs
    .map((run) => (run.esc ? ` ${escapeNames(run.text)} ` : run.text))
    .join('')
    .replace(/ {2,}/g, ' ')
    .trim();
}
