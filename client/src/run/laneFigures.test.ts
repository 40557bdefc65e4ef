import { describe, expect, test } from 'vitest';
import { Run } from './Run.svelte.ts';
import { defaultSettings } from './settings.ts';
import { laneState, type LaneState } from './laneFigures.ts';
import { captured, pageEvents, sseFixtureTokens } from './capturedLane.ts';

/**
 * The captured SSE reply, Start at tab time 400, the server's clock 595 ms ahead: the request is
 * read at run time 5, the response head (184 B) written at 14.83, the last write at 43.17. The
 * page's code asks at 0, has the response at 5, token i at 15 + 10 i, done at 225.
 */
function sseRun(state: Run['state']): Run {
  const run = new Run('r', defaultSettings, ['sse'], 400);
  run.offset = 595;
  run.state = state;
  const lane = run.lane('sse')!;
  for (const e of captured('sse', 1000).wire) lane.addWire(e);
  const tokens = sseFixtureTokens;
  for (const e of pageEvents(tokens, 400)) lane.addApp(e);
  return run;
}

describe('laneState: a lane at the cursor', () => {
  test.each<[string, Run['state'], number, Partial<LaneState>]>([
    ['the page asks', 'replay', 0, { status: 'waiting', tokens: 0, bytesUp: 0, bytesDown: 0, firstByte: undefined, firstToken: undefined }],
    ['the request is read', 'replay', 10, { status: 'waiting', bytesUp: 357, bytesDown: 0, firstByte: undefined, overheadPerToken: undefined }],
    ['the first write and the first token', 'replay', 15, { status: 'streaming', tokens: 1, textBytes: 5, bytesDown: 184, firstToken: 15, lastToken: 15 }],
    ['nine tokens in', 'replay', 100, { status: 'streaming', tokens: 9, textBytes: 33, bytesDown: 1518, bytesUp: 357, firstToken: 15, lastToken: 95 }],
    ['done', 'replay', 1000, { status: 'done', tokens: 21, firstToken: 15, lastToken: 215 }],
  ])('%s (%s, cursor %d)', (_, state, cursor, want) => {
    expect(laneState(sseRun(state), sseRun(state).lane('sse')!, cursor)).toMatchObject(want);
  });

  test.each([
    ['replay', 'idle'],
    ['live', 'waiting'],
  ] as const)('nothing recorded yet, %s: %s', (state, status) => {
    const run = new Run('r', defaultSettings, ['sse'], 400);
    run.state = state;
    expect(laneState(run, run.lane('sse')!, 0)).toEqual({
      tokens: 0,
      status,
      note: undefined,
      firstByte: undefined,
      firstToken: undefined,
      lastToken: undefined,
      bytesDown: 0,
      bytesUp: 0,
      textBytes: 0,
      overheadPerToken: undefined,
    });
  });

  test('first byte and the wire overhead per token', () => {
    const run = sseRun('replay');
    const now = laneState(run, run.lane('sse')!, 100);
    expect(now.firstByte).toBeCloseTo(14.832275390625, 9);
    // Every byte on the wire that is not reply text, per token: (1518 + 357 − 33) / 9.
    expect(now.overheadPerToken).toBeCloseTo(1842 / 9, 9);
  });

  test('a lost connection shows as a note', () => {
    const run = sseRun('replay');
    const lane = run.lane('sse')!;
    lane.addApp({ t: 400 + 300, kind: 'reconnecting', detail: 'network error' });
    expect(laneState(run, lane, 250).note).toBeUndefined();
    expect(laneState(run, lane, 300).note).toEqual({ text: 'Connection lost after token 21; the client is reconnecting with Last-Event-ID…', broken: true });
  });
});
