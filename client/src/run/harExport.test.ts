import { describe, expect, test } from 'vitest';
import harValidator from '@har-sdk/validator';
import { Run } from './Run.svelte.ts';
import { defaultSettings } from './settings.ts';
import { captured, pageEvents } from './capturedLane.ts';
import { eventStreamEvents, masked, toHar, type HarEntry } from './harExport.ts';

const { HarValidator } = harValidator;
const t0 = 1_700_000_000_000;

/** A run of the captured SSE, WebSocket and buffered connections, as the page records one. */
function recordedRun(): Run {
  const ids = ['sse', 'ws', 'http'] as const;
  const run = new Run('r42', { ...defaultSettings }, ids, t0);
  for (const [i, lane] of run.lanes.entries()) {
    const fixture = ids[i]!;
    const conn = i + 1;
    lane.addConn({
      conn,
      method: 'GET',
      path: `/api/stream/${fixture}`,
      remoteAddress: '::ffff:127.0.0.1',
      remotePort: 50_000 + i,
      localPort: 8080,
      opened: t0 + 100,
    });
    for (const e of captured(fixture, t0 + 100, conn).wire) lane.addWire(e);
    for (const e of pageEvents(['Hello', ','], t0)) lane.addApp(e);
    lane.closeConn(conn, t0 + 900);
  }
  run.offset = 50;
  run.state = 'ended';
  return run;
}

describe('toHar', () => {
  test('dump', async () => {
    const har = await toHar(recordedRun());
    console.log(JSON.stringify(har, null, 1).slice(0, 9000));
    expect(await new HarValidator().verify(har as never)).toEqual([]);
  });
});
