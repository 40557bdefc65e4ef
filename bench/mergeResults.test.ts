import { describe, expect, it } from 'vitest';
import { mergeResults, type ResultsFile } from './mergeResults.ts';

const full: ResultsFile = {
  date: '2026-11-26T01:41:55.252Z',
  mode: 'full',
  seconds: 375,
  machine: { cpus: 2 },
  config: { sections: ['capacity', 'hall'] },
  figures: [
    { section: 'capacity', name: 'a' },
    { section: 'hall', name: 'old 1' },
    { section: 'hall', name: 'old 2' },
    { section: 'bundle', name: 'b' },
  ] as unknown as ResultsFile['figures'],
  errors: { hall: 'it failed' },
  details: { capacity: { c: 1 }, hall: { h: 'old' } },
};

const hallRun: ResultsFile = {
  date: '2026-12-06T16:00:00.000Z',
  mode: 'full',
  seconds: 400,
  machine: { cpus: 2, loadBefore: [1, 1, 1] },
  config: { quick: false, sections: ['hall'] },
  figures: [{ section: 'hall', name: 'new' }] as unknown as ResultsFile['figures'],
  errors: {},
  details: { hall: { h: 'new' } },
};

describe('mergeResults', () => {
  it("puts the run's figures where its sections' were, and keeps the others", () => {
    const merged = mergeResults(full, hallRun);
    expect(merged.figures).toEqual([
      { section: 'capacity', name: 'a' },
      { section: 'hall', name: 'new' },
      { section: 'bundle', name: 'b' },
    ]);
    expect(merged.details).toEqual({ capacity: { c: 1 }, hall: { h: 'new', run: expect.objectContaining({ date: hallRun.date, seconds: 400 }) as unknown } });
    expect((merged.details.hall as { run: { machine: unknown; config: unknown } }).run).toMatchObject({ machine: hallRun.machine, config: hallRun.config });
    expect(merged.errors).toEqual({});
    expect(merged.date).toBe(full.date);
  });

  it('adds the figures of a section the full run did not have at the end', () => {
    const merged = mergeResults({ ...full, figures: [{ section: 'capacity' }] }, hallRun);
    expect(merged.figures.map((f) => f.section)).toEqual(['capacity', 'hall']);
  });

  it('refuses a --quick run', () => {
    expect(() => mergeResults(full, { ...hallRun, mode: 'quick', config: { quick: true, sections: ['hall'] } })).toThrow(/full-length/);
  });
});
