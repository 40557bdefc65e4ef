/**
 * A lane over HTTP/2 and TLS: an HTTP/2 connection is dissected as frames, the lane shows its own
 * streams and the connection's frames (not other lanes' streams), an earlier run's bytes are
 * context (dissected, not counted), and the TLS records go to the lane's network record.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LaneRecord, type WireEvent } from './LaneRecord.svelte.ts';
import { byteEventFromJson } from '../wire/byteEvent.ts';
import type { ByteEventJson } from '../wire/types.ts';
import { loadBinaryDissectors } from '../wire/dissectors.ts';

// HTTP/2 and TLS are read by a chunk the page loads on its own.
beforeAll(() => loadBinaryDissectors());

function load(name: string, conn: number): WireEvent[] {
  const file = path.join(import.meta.dirname, '../wire/fixtures', `${name}.json`);
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as { events: ByteEventJson[] };
  return fixture.events.map((e) => ({ ...byteEventFromJson(e), conn }));
}

const info = { method: 'GET', path: '/api/stream/sse', remoteAddress: '127.0.0.1', remotePort: 1, localPort: 2, opened: 0 };
const h2 = load('h2c-sse', 7);
const stream = (lane: LaneRecord) => new Set(lane.segments.map((s) => s.stream));

describe('a lane on an HTTP/2 connection', () => {
  test('is dissected as HTTP/2 frames, from what the tap said (ALPN) or from the preface', () => {
    for (const tapSaid of [true, false]) {
      const lane = new LaneRecord('sse-h2');
      lane.addConn({ conn: 7, ...info, ...(tapSaid ? { protocol: 'h2' as const } : {}) });
      for (const e of h2) lane.addWire(e);
      expect(lane.segments.some((s) => s.kind === 'h2-preface')).toBe(true);
      expect(lane.segments.some((s) => s.kind === 'chunk-size')).toBe(false);
      expect(lane.segments.filter((s) => s.tokenText !== undefined).length).toBeGreaterThan(0);
      expect(lane.exchanges()[0]?.exchanges[0]?.response?.status).toBe(200);
    }
  });

  test('shows its own streams and the connection’s frames, not another lane’s stream', () => {
    const mine = new LaneRecord('sse-h2');
    mine.addConn({ conn: 7, ...info, protocol: 'h2' });
    mine.addStream(7, 1);
    for (const e of h2) mine.addWire(e);
    expect(stream(mine)).toEqual(new Set([undefined, 0, 1]));

    const other = new LaneRecord('sse-h2');
    other.addConn({ conn: 7, ...info, protocol: 'h2' });
    other.addStream(7, 3);
    for (const e of h2) other.addWire(e);
    expect(other.segments.some((s) => s.stream === 1)).toBe(false);
    expect(other.segments.some((s) => s.kind === 'h2-setting' || s.label.includes('SETTINGS'))).toBe(true);
    expect(other.exchanges()[0]?.exchanges).toEqual([]);
    // Its bytes are the connection's all the same.
    expect(other.totals.wire.at(-1)).toEqual(mine.totals.wire.at(-1));
  });

  test('an earlier run’s bytes are context: its setup shown, nothing counted', () => {
    const lane = new LaneRecord('sse-h2');
    lane.addConn({ conn: 7, ...info, protocol: 'h2' });
    lane.addStream(7, 3);
    for (const e of h2) lane.addWire(e, true);
    expect(lane.wire).toHaveLength(0);
    expect(lane.totals.wire).toHaveLength(0);
    // The preface and the SETTINGS before the first request, nothing after it.
    expect(lane.segments.some((s) => s.kind === 'h2-preface')).toBe(true);
    expect(lane.segments.every((s) => s.frameType !== 'HEADERS' && s.frameType !== 'DATA')).toBe(true);
  });
});

describe('its TLS records', () => {
  test('go to the network record, dissected as records; an earlier run’s encrypted records are not shown', () => {
    const lane = new LaneRecord('sse-h2');
    expect(lane.network).toBeNull();
    const network = lane.networkRecord();
    expect(lane.networkRecord()).toBe(network);
    network.addConn({ conn: 6, ...info, method: 'TLS', path: '', layer: 'tls' });
    const records = load('h2-tls', 6);
    for (const e of records) network.addWire(e);
    expect(network.segments.some((s) => s.kind === 'tls-encrypted')).toBe(true);
    expect(network.segments.every((s) => s.layer === 'tls')).toBe(true);
    // The plaintext record has nothing of it.
    expect(lane.wire).toHaveLength(0);

    const later = new LaneRecord('sse-h2').networkRecord();
    later.addConn({ conn: 6, ...info, layer: 'tls' });
    for (const e of records) later.addWire(e, true);
    expect(later.segments.some((s) => s.kind === 'tls-handshake-type')).toBe(true);
    expect(later.segments.some((s) => s.kind === 'tls-encrypted')).toBe(false);
  });
});
