import { beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LaneRecord } from './LaneRecord.svelte.ts';
import { h2Frames } from './TappedFleet.svelte.ts';
import { byteEventFromJson } from '../wire/byteEvent.ts';
import type { ByteEventJson } from '../wire/types.ts';
import { loadBinaryDissectors } from '../wire/dissectors.ts';

// HTTP/2 and TLS are read by a chunk the page loads on its own.
beforeAll(() => loadBinaryDissectors());

describe('h2Frames: the HTTP/2 lab’s frame counts and strip', () => {
  const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, '../wire/fixtures/h2c-sse.json'), 'utf8')) as { events: ByteEventJson[] };
  const lane = new LaneRecord('sse');
  lane.addConn({ conn: 1, method: 'GET', path: '/', remoteAddress: '', remotePort: 0, localPort: 0, opened: 0, protocol: 'h2' });
  for (const e of fixture.events.map(byteEventFromJson)) lane.addWire({ ...e, conn: 1 });

  test('counts every frame by its stream (0: the connection) and keeps the last ones, oldest first', () => {
    const all = lane.segments.filter((s) => s.kind === 'h2-type');
    const { byStream, last } = h2Frames(lane, 4);
    expect([...byStream.values()].reduce((a, b) => a + b, 0)).toBe(all.length);
    expect(byStream.get(0)).toBeGreaterThan(0);
    expect(byStream.get(1)).toBeGreaterThan(0);
    expect(last).toHaveLength(4);
    expect(last.map((f) => f.at)).toEqual([...last.map((f) => f.at)].sort((a, b) => a - b));
    expect(last.at(-1)).toMatchObject({ at: lane.segments.indexOf(all.at(-1)!), stream: all.at(-1)!.stream });
    expect(last.every((f) => /^[A-Z_]+$/.test(f.type))).toBe(true);
  });

  test('nothing for no lane', () => {
    expect(h2Frames(undefined)).toEqual({ byStream: new Map(), last: [] });
  });
});
