import { describe, expect, test } from 'vitest';
import { Run } from './Run.svelte.ts';
import { defaultSettings } from './settings.ts';
import { captured, pageEvents } from './capturedLane.ts';
import { toHar } from './harExport.ts';
import { fromHar } from './harImport.ts';

const t0 = 1_700_000_000_000;
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
test('roundtrip dump', async () => {
  const har = JSON.parse(JSON.stringify(await toHar(recordedRun())));
  const { run, summary } = fromHar(har, 'x.har');
  console.log(summary);
  for (const lane of run.lanes) {
    console.log(
      lane.id,
      lane.origin,
      lane.tokens.join(''),
      lane.wire.length,
      lane.segments
        .map((s) => s.kind)
        .join(' ')
        .slice(0, 600),
    );
    console.log(lane.exchanges().map((e) => JSON.stringify(e.exchanges.map((x) => [x.request?.target, x.response?.status]))));
  }
});
