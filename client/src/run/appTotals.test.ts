import { describe, expect, test } from 'vitest';
import type { AppEvent } from '../transports/types.ts';
import { nextAppTotals, noAppTotals, troubleNote, type AppTotals } from './appTotals.ts';

/** The totals after each of `events` (times do not matter here). */
function replay(events: Omit<AppEvent, 't'>[]): AppTotals[] {
  const out: AppTotals[] = [];
  let totals = noAppTotals;
  for (const e of events) out.push((totals = nextAppTotals(totals, { ...e, t: 0 })));
  return out;
}

const tokens = (n: number, from = 0): Omit<AppEvent, 't'>[] => Array.from({ length: n }, (_, i) => ({ kind: 'token', index: from + i, text: 'x' }));
const lost = { kind: 'reconnecting', detail: 'connection lost; EventSource reconnects with Last-Event-ID' } as const;

describe('a lane whose EventSource reconnected', () => {
  const totals = replay([{ kind: 'request' }, { kind: 'open' }, ...tokens(15), lost, { kind: 'open' }, ...tokens(5, 15), { kind: 'done' }]);
  const atLoss = totals[17]!;
  const atEnd = totals.at(-1)!;

  test('is broken (red) only between the loss and the new response', () => {
    expect(atLoss.trouble).toMatchObject({ state: 'lost', afterTokens: 15, drops: 1 });
    expect(atLoss.status).toBe('streaming');
    expect(troubleNote(atLoss.trouble)).toEqual({ text: 'Connection lost after token 15; the client is reconnecting with Last-Event-ID…', broken: true });
    expect(totals[18]!.trouble?.state).toBe('resumed');
  });

  test('says what happened in the past tense once it finished, and is not an error', () => {
    expect(atEnd.status).toBe('done');
    expect(atEnd.tokens).toBe(20);
    expect(troubleNote(atEnd.trouble)).toEqual({
      text: 'Connection lost after token 15, then reconnected; the reply resumed from Last-Event-ID.',
      broken: false,
    });
  });

  test('is a state of the event kind, whatever the detail says', () => {
    for (const detail of ['anything at all', undefined]) expect(replay([...tokens(3), { kind: 'reconnecting', detail }]).at(-1)!.trouble?.state).toBe('lost');
    expect(replay([...tokens(3), { kind: 'error', detail: 'it reconnects, it says' }]).at(-1)!.status).toBe('error');
  });
});

describe('troubleNote', () => {
  test.each([
    [undefined, undefined],
    [
      { state: 'lost', detail: '', afterTokens: 0, drops: 1 },
      { text: 'Connection lost before the first token; the client is reconnecting with Last-Event-ID…', broken: true },
    ],
    [
      { state: 'resumed', detail: '', afterTokens: 40, drops: 3 },
      { text: 'Connection lost 3 times, reconnected each time (last after token 40); the reply resumed from Last-Event-ID.', broken: false },
    ],
    [
      { state: 'failed', detail: 'closed with code 1006', afterTokens: 12, drops: 0 },
      { text: 'closed with code 1006 (after token 12)', broken: true },
    ],
    [
      { state: 'failed', detail: 'HTTP 500', afterTokens: 0, drops: 0 },
      { text: 'HTTP 500', broken: true },
    ],
  ] as const)('%o', (trouble, note) => {
    expect(troubleNote(trouble)).toEqual(note);
  });
});

describe('a lane that failed', () => {
  test('stays an error, and a later reconnect state does not hide it', () => {
    const totals = replay([...tokens(12), { kind: 'error', detail: 'closed with code 1006' }]);
    expect(totals.at(-1)).toMatchObject({ status: 'error', trouble: { state: 'failed', afterTokens: 12 } });
  });

  test('a lost connection that then fails for good is failed, counting the drop', () => {
    const totals = replay([...tokens(2), lost, { kind: 'error', detail: 'the stream failed' }]);
    expect(totals.at(-1)).toMatchObject({ status: 'error', trouble: { state: 'failed', drops: 1 } });
  });

  test('counts text bytes in UTF-8', () => {
    expect(replay([{ kind: 'token', index: 0, text: 'é😀' }]).at(-1)!.textBytes).toBe(6);
  });
});
