/**
 * HTTP/2 and TLS are read by a chunk the page loads once it is idle (`loadBinaryDissectors`):
 * a lane that meets such a connection before it has come keeps its events, and reads them once
 * it has, in order, announcing the change itself.
 */
import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LaneRecord, type WireEvent } from './LaneRecord.svelte.ts';
import { byteEventFromJson } from '../wire/byteEvent.ts';
import { dissectorReady, loadBinaryDissectors } from '../wire/dissectors.ts';
import type { ByteEventJson } from '../wire/types.ts';

function load(name: string, conn: number): WireEvent[] {
  const file = path.join(import.meta.dirname, '../wire/fixtures', `${name}.json`);
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as { events: ByteEventJson[] };
  return fixture.events.map((e) => ({ ...byteEventFromJson(e), conn }));
}

const info = { method: 'GET', path: '/api/stream/sse', remoteAddress: '127.0.0.1', remotePort: 1, localPort: 2, opened: 0 };

test('events of an HTTP/2 connection that come before its dissector wait for it, then read as if it had been there', async () => {
  expect(dissectorReady('h2')).toBe(false);
  const plain = load('sse', 1);
  const h2 = load('h2c-sse', 7);
  const early = new LaneRecord('sse-h2');
  early.addConn({ conn: 7, ...info, protocol: 'h2' });
  early.addConn({ conn: 1, ...info });
  const half = Math.floor(h2.length / 2);
  for (const e of h2.slice(0, half)) early.addWire(e);
  // An HTTP/1.1 connection opened meanwhile waits its turn too, so nothing reads out of order.
  for (const e of plain) early.addWire(e);
  expect(early.segments).toHaveLength(0);
  // Its bytes count at once: the figures and the timeline do not wait for the dissector.
  expect(early.totals.wire.at(-1)?.down).toBeGreaterThan(0);
  const version = early.version;

  await loadBinaryDissectors();
  await Promise.resolve();
  for (const e of h2.slice(half)) early.addWire(e);
  early.announce();
  expect(early.version).not.toBe(version);

  const loaded = new LaneRecord('sse-h2');
  loaded.addConn({ conn: 7, ...info, protocol: 'h2' });
  loaded.addConn({ conn: 1, ...info });
  for (const e of h2.slice(0, half)) loaded.addWire(e);
  for (const e of plain) loaded.addWire(e);
  for (const e of h2.slice(half)) loaded.addWire(e);
  const shape = (lane: LaneRecord) => lane.segments.map((s) => [s.conn, s.dir, s.kind, s.offset, s.length]);
  expect(shape(early)).toEqual(shape(loaded));
  expect(early.segments.some((s) => s.kind === 'h2-preface')).toBe(true);
});
