/**
 * Which steps of which lessons the learner has seen, kept in localStorage so the index shows
 * progress across visits. A browser that refuses storage (private mode) just forgets.
 */
const key = 'streamscope:progress';

export class Progress {
  /** slug → the 0-based steps seen. */
  seen = $state<Record<string, number[]>>(read());

  mark(slug: string, step: number): void {
    const steps = this.seen[slug] ?? [];
    if (steps.includes(step)) return;
    this.seen = { ...this.seen, [slug]: [...steps, step].sort((a, b) => a - b) };
    try {
      localStorage.setItem(key, JSON.stringify(this.seen));
    } catch {
      // Storage full or refused: progress is a convenience.
    }
  }

  count(slug: string): number {
    return this.seen[slug]?.length ?? 0;
  }
}

function read(): Record<string, number[]> {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key) ?? '{}');
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, number[]>) : {};
  } catch {
    return {};
  }
}
