import { describe, expect, it } from 'vitest';
import { generationNote } from './generationNote.ts';
import type { GenerationRecord } from './Run.svelte.ts';

const record = (from: number, generated: number, reason: GenerationRecord['reason'], t = 0, of = 120): GenerationRecord => ({
  conn: 1,
  t,
  from,
  generated,
  of,
  reason,
});

describe('generationNote', () => {
  it.each([
    [
      'a client that closed',
      [record(0, 23, 'client closed')],
      'server stopped after 23 of 120 tokens: the client closed the connection; 97 never generated',
      97,
    ],
    ['a WebSocket stop message', [record(0, 40, 'stopped')], 'server stopped after 40 of 120 tokens: a "stop" message; 80 never generated', 80],
    ['a model that failed', [record(0, 20, 'failed', 0, 59)], 'server stopped after 20 of 59 tokens: the model failed; 39 never generated', 39],
    [
      'a cut, then a resume that is still going',
      [record(0, 15, 'cut')],
      'server stopped after 15 of 120 tokens: the connection was cut; 105 never generated',
      105,
    ],
    [
      'a resume that went further before its client closed',
      [record(0, 15, 'cut'), record(15, 10, 'client closed')],
      'server stopped after 25 of 120 tokens: the client closed the connection; 95 never generated',
      95,
    ],
  ] as const)('%s', (_name, records, text, never) => {
    expect(generationNote(records)).toMatchObject({ text, never });
  });

  it('says nothing before a report, or when the whole reply was generated (over one connection or several)', () => {
    expect(generationNote([])).toBeUndefined();
    expect(generationNote([record(0, 120, 'complete')])).toBeUndefined();
    expect(generationNote([record(0, 15, 'cut'), record(15, 15, 'cut'), record(30, 90, 'complete')])).toBeUndefined();
  });

  it('shows the reports seen by the cursor only', () => {
    const records = [record(0, 15, 'cut', 100), record(15, 105, 'complete', 900)];
    expect(generationNote(records, (t) => t <= 500)?.reached).toBe(15);
    expect(generationNote(records, (t) => t <= 1000)).toBeUndefined();
  });
});

describe('generationNote on a shared log', () => {
  it('says the generation goes on, and counts nothing as never generated', () => {
    const note = generationNote([{ conn: 1, t: 5, from: 0, generated: 7, of: 20, reason: 'client closed', runsOn: true }]);
    expect(note).toMatchObject({ reached: 7, of: 20, never: 0 });
    expect(note?.text).toBe(
      'this connection read 7 of 20 tokens (the client closed the connection); the server generates on into its shared log, for a resume anywhere',
    );
  });
});
