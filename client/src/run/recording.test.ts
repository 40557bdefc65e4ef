import { describe, expect, test } from 'vitest';
import { Run } from './Run.svelte.ts';
import { defaultSettings } from './settings.ts';
import { fromRecording, toRecording, type Recording } from './recording.ts';
import { captured, capturedConn, pageEvents } from './capturedLane.ts';

/** A two-lane run as the page records one: captured bytes, the clients' events, a closed connection. */
function recordedRun(): Run {
  const run = new Run('r42', { ...defaultSettings, tps: 50, fail: 3 }, ['sse', 'ws'], 1_700_000_000_000);
  for (const [i, lane] of run.lanes.entries()) {
    const fixture = lane.id === 'ws' ? 'ws' : 'sse';
    const conn = i + 1;
    lane.addConn(capturedConn(fixture, conn, 1_700_000_000_100));
    for (const e of captured(fixture, 1_700_000_000_100, conn).wire) lane.addWire(e);
    for (const e of pageEvents(['Hello', ','], 1_700_000_000_000)) lane.addApp(e);
    lane.addGeneration({ conn, t: 1_700_000_000_200, from: 0, generated: 21, of: 21, reason: 'complete' });
    lane.closeConn(conn, 1_700_000_000_201);
  }
  run.offset = 99.5;
  run.offsetUncertainty = 3.25;
  run.state = 'ended';
  return run;
}

/** What a run holds, in plain values. */
function contents(run: Run) {
  return {
    id: run.id,
    settings: run.settings,
    startedAt: run.startedAt,
    offset: run.offset,
    offsetUncertainty: run.offsetUncertainty,
    duration: run.duration,
    lanes: run.lanes.map((lane) => ({
      id: lane.id,
      conns: [...lane.conns.values()],
      wire: lane.wire.map((e) => ({ ...e, bytes: [...e.bytes] })),
      app: lane.app,
      generation: lane.generation,
      segments: lane.segments.map((s) => `${s.conn}${s.dir}${s.offset}+${s.length}:${s.kind}`),
      totals: lane.totals,
      tokens: lane.tokens,
    })),
  };
}

describe('recordings', () => {
  test('export, JSON, import: the same run, to replay', () => {
    const run = recordedRun();
    const back = fromRecording(JSON.parse(JSON.stringify(toRecording(run))));
    expect(contents(back)).toEqual(contents(run));
    expect(back.state).toBe('replay');
    // Not vacuous: the bytes made segments, the clients tokens, and the clock estimate came along.
    expect(back.lane('sse')!.segments).toHaveLength(154);
    expect(back.lane('ws')!.tokens).toEqual(['Hello', ',']);
    expect([back.offset, back.offsetUncertainty]).toEqual([99.5, 3.25]);
    expect(back.settings).toEqual({ ...defaultSettings, tps: 50, fail: 3 });
  });

  test('a recording made before generation reports and `reconnecting` still loads', () => {
    const recording = toRecording(recordedRun()) as Recording;
    const old = {
      ...recording,
      lanes: recording.lanes.map(({ generation: _, ...lane }) => ({
        ...lane,
        app: [...lane.app, { t: 1, kind: 'error' as const, detail: 'EventSource reconnects with Last-Event-ID' }],
      })),
    };
    const run = fromRecording(JSON.parse(JSON.stringify(old)));
    expect(run.lane('sse')!.generation).toEqual([]);
    expect(run.lane('sse')!.app.at(-1)!.kind).toBe('reconnecting');
  });

  test('settings missing from a recording take their defaults; unknown lanes are left out', () => {
    const recording = toRecording(recordedRun());
    const partial = { ...recording, settings: { tps: 5 }, lanes: [...recording.lanes, { ...recording.lanes[0]!, id: 'carrier-pigeon' }] };
    const run = fromRecording(JSON.parse(JSON.stringify(partial)));
    expect(run.settings).toEqual({ ...defaultSettings, tps: 5 });
    expect(run.lanes.map((l) => l.id)).toEqual(['sse', 'ws']);
  });

  test.each<[string, unknown, RegExp]>([
    ['not an object', null, /not a Streamscope recording/],
    ['another format', { format: 'har' }, /not a Streamscope recording/],
    ['a newer version', { format: 'streamscope-recording', version: 2 }, /version 2 is not supported/],
    ['no lanes', { format: 'streamscope-recording', version: 1, startedAt: 0 }, /no lanes or no start time/],
    ['no start', { format: 'streamscope-recording', version: 1, lanes: [] }, /no lanes or no start time/],
  ])('refuses %s, saying what is wrong', (_, value, message) => {
    expect(() => fromRecording(value)).toThrow(message);
  });
});

describe('secrets in a recording', () => {
  test('are masked byte for byte unless asked for: header fields, and header= parameters of an inspected request', () => {
    const run = new Run('secret', { ...defaultSettings }, ['inspect'], 1_700_000_000_000);
    const lane = run.lanes[0]!;
    lane.addConn({ conn: 1, method: 'GET', path: '/api/inspect/sse', remoteAddress: '127.0.0.1', remotePort: 1, localPort: 2, opened: 1_700_000_000_000 });
    const head = 'GET /api/inspect/sse?url=x&header=Authorization%3A%20Bearer%20sk-1 HTTP/1.1\r\nHost: h\r\nx-api-key: sk-2\r\nCookie: a=b\r\n\r\n';
    // Cut mid-field: the scanner follows the connection's bytes across events.
    const bytes = new TextEncoder().encode(head);
    lane.addWire({ t: 1_700_000_000_001, conn: 1, dir: 'up', bytes: bytes.slice(0, 90) });
    lane.addWire({ t: 1_700_000_000_002, conn: 1, dir: 'up', bytes: bytes.slice(90) });
    const text = (recording: Recording) => recording.lanes[0]!.wire.map((e) => atob(e.data)).join('');
    const masked = text(toRecording(run));
    expect(masked).toHaveLength(head.length);
    expect(masked).not.toContain('sk-1');
    expect(masked).not.toContain('sk-2');
    expect(masked).toContain('x-api-key: ****\r\nCookie: ***\r\n');
    expect(text(toRecording(run, { includeSecrets: true }))).toBe(head);
  });
});
