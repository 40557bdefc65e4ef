import { describe, expect, test } from 'vitest';
import { Run } from './Run.svelte.ts';
import { defaultSettings } from './settings.ts';
import { captured, pageEvents } from './capturedLane.ts';
import type { LaneId } from './lanes.ts';
import type { AppEvent } from '../transports/types.ts';

describe('Run: one place converts between the clocks', () => {
  // Start at tab time 10,000; the server's clock runs 250 ms ahead of the tab's.
  const run = new Run('r', defaultSettings, ['sse'], 10_000);
  run.offset = 250;
  test.each([
    ['wireTime', 10_300, 50],
    ['pageTime', 10_050, 50],
    ['serverTime', 50, 10_300],
    ['serverElapsed', 10_300, 300],
  ] as const)('%s(%d) = %d', (method, t, want) => {
    expect(run[method](t)).toBe(want);
  });

  test('wireTime and serverTime are inverses', () => {
    for (const ms of [0, 12.5, 3000]) expect(run.wireTime(run.serverTime(ms))).toBe(ms);
  });

  test("a stamp since epoch comes back exactly: the cursor at the run's last bytes shows them", () => {
    // Stamps on the grain `performance.now()` gives them: with this start and offset, the old
    // order (`t - offset` first, rounded to the quarter-microsecond grain of numbers this large)
    // came back one grain short.
    const real = new Run('r', defaultSettings, ['sse'], 1765050537155.8);
    real.offset = 19.8487548828125;
    const t = 1765050541017.008;
    expect(real.serverTime(real.wireTime(t))).toBe(t);
    // And over many stamps on the grain of `performance.now()` (multiples of 2^-12 ms and 2^-13 ms).
    const grain = (x: number, bits: number) => Math.round(x * 2 ** bits) / 2 ** bits;
    for (let i = 0; i < 2000; i++) {
      real.startedAt = grain(1765050000000 + i * 517.3, 12);
      real.offset = grain(((i * 7919) % 600) / 10 - 30, 13);
      const stamp = grain(real.startedAt + ((i * 104729) % 10_000), 12);
      expect(real.serverTime(real.wireTime(stamp))).toBe(stamp);
    }
  });
});

/** One lane's part of a scenario: captured bytes from server time `server`, page events of its client. */
interface LanePlan {
  id: LaneId;
  fixture: 'sse' | 'ws';
  server?: number;
  app: AppEvent[];
}

function raceOf(plans: LanePlan[]): Run {
  const run = new Run(
    'r',
    defaultSettings,
    plans.map((p) => p.id),
    0,
  );
  plans.forEach((plan, i) => {
    const lane = run.lane(plan.id)!;
    if (plan.server !== undefined) for (const e of captured(plan.fixture, plan.server, i + 1).wire) lane.addWire(e);
    for (const e of plan.app) lane.addApp(e);
  });
  return run;
}

// The captured SSE connection: the request read at `server`, the response head written 9.832 ms
// later, token 0 at 12.241 ms, token 5 at 23.532 ms. The WebSocket one: its first write 0.709 ms
// after the handshake was read.
const sseHead = 9.832275390625;
const wsHead = 0.708740234375;

describe('Run.estimateOffset', () => {
  test.each<[string, LanePlan[], number, number | null]>([
    ['no events: nothing to go by', [], 0, null],
    ['page events only', [{ id: 'sse', fixture: 'sse', app: [{ t: 400, kind: 'request' }] }], 0, null],
    ['bytes only', [{ id: 'sse', fixture: 'sse', server: 1000, app: [] }], 0, null],
    // upper = 1000 − 400
    ['a request only: the upper bound', [{ id: 'sse', fixture: 'sse', server: 1000, app: [{ t: 400, kind: 'request' }] }], 600, null],
    // lower = 1000 + head − 420; the lowest offset that fits, and the room up to 600
    [
      'request and response: the lowest that fits',
      [
        {
          id: 'sse',
          fixture: 'sse',
          server: 1000,
          app: [
            { t: 400, kind: 'request' },
            { t: 420, kind: 'open' },
          ],
        },
      ],
      580 + sseHead,
      20 - sseHead,
    ],
    // lower = 1000 + head − 405 > upper = 600: some pairing is wrong, take the middle, claim no spread
    [
      'bounds that cross',
      [
        {
          id: 'sse',
          fixture: 'sse',
          server: 1000,
          app: [
            { t: 400, kind: 'request' },
            { t: 405, kind: 'open' },
          ],
        },
      ],
      (595 + sseHead + 600) / 2,
      null,
    ],
    // Token 5 written at 1023.53, read by the page's code at 430: a tighter lower bound than the open's.
    [
      'tokens tighten the lower bound',
      [
        {
          id: 'sse',
          fixture: 'sse',
          server: 1000,
          app: [
            { t: 400, kind: 'request' },
            { t: 425, kind: 'open' },
            { t: 427, kind: 'token', index: 0, text: 'Hello' },
            { t: 430, kind: 'token', index: 5, text: ' line' },
          ],
        },
      ],
      593.53173828125,
      6.46826171875,
    ],
    // The tightest bound of each lane: upper from the WebSocket lane (2000 − 1402), lower from the SSE lane.
    [
      'two lanes: the tightest bounds of both',
      [
        {
          id: 'sse',
          fixture: 'sse',
          server: 1000,
          app: [
            { t: 400, kind: 'request' },
            { t: 420, kind: 'open' },
          ],
        },
        {
          id: 'ws',
          fixture: 'ws',
          server: 2000,
          app: [
            { t: 1402, kind: 'request' },
            { t: 1415, kind: 'open' },
          ],
        },
      ],
      580 + sseHead,
      18 - sseHead,
    ],
  ])('%s', (_, plans, offset, uncertainty) => {
    const run = raceOf(plans);
    run.estimateOffset();
    expect(run.offset).toBeCloseTo(offset, 9);
    if (uncertainty === null) expect(run.offsetUncertainty).toBeNull();
    else expect(run.offsetUncertainty).toBeCloseTo(uncertainty, 9);
  });

  test('the WebSocket lane alone', () => {
    const run = raceOf([
      {
        id: 'ws',
        fixture: 'ws',
        server: 2000,
        app: [
          { t: 1402, kind: 'request' },
          { t: 1415, kind: 'open' },
        ],
      },
    ]);
    run.estimateOffset();
    expect(run.offset).toBeCloseTo(585 + wsHead, 9);
    expect(run.offsetUncertainty).toBeCloseTo(13 - wsHead, 9);
  });
});

describe('Run.duration', () => {
  test('the last thing recorded on any lane, each on its own clock', () => {
    const run = raceOf([{ id: 'sse', fixture: 'sse', server: 1000, app: pageEvents(['a', 'b'], 400) }]);
    run.startedAt = 400;
    run.offset = 600;
    // Last write at server 1038.167 → run 38.167; done at page 435 → run 35.
    expect(run.duration).toBeCloseTo(38.16650390625, 9);
    run.lane('sse')!.addApp({ t: 500, kind: 'done' });
    expect(run.duration).toBe(100);
    run.lane('sse')!.addGeneration({ conn: 1, t: 1200, from: 0, generated: 2, of: 2, reason: 'complete' });
    expect(run.duration).toBe(200);
  });
});
