import { expect, test } from 'vitest';
import type { TapEvent } from '../../../shared/tap.ts';
import { byteEventFromJson, byteEventToJson, byteEventsFromTap, decodeBase64, encodeBase64 } from './byteEvent.ts';

test.each([[new Uint8Array([])], [new Uint8Array([0, 255, 128, 13, 10])], [new Uint8Array(100_000).map((_, i) => i * 7)]])(
  'base64 round trip (%#)',
  (input) => {
    expect(decodeBase64(encodeBase64(input))).toEqual(input);
    expect(encodeBase64(input)).toBe(Buffer.from(input).toString('base64'));
  },
);

test('JSON fixtures keep time, direction, bytes and parts', () => {
  const event = { t: 12.5, dir: 'down' as const, bytes: new Uint8Array([0x31, 0x0d, 0x0a]), parts: [3] };
  expect(byteEventToJson(event)).toEqual({ t: 12.5, dir: 'down', data: 'MQ0K', parts: [3] });
  expect(byteEventFromJson(byteEventToJson(event))).toEqual(event);
});

test('tap events of one connection: read is up, write is down, the rest skipped', () => {
  const tap: TapEvent[] = [
    { type: 'open', conn: 1, t: 1, run: 'r', remoteAddress: '::1', remotePort: 5, localPort: 6 },
    { type: 'read', conn: 1, t: 2, run: 'r', data: 'R0VU' },
    { type: 'read', conn: 2, t: 3, run: 'r', data: 'eA==' },
    { type: 'request', conn: 1, t: 4, run: 'r', method: 'GET', path: '/' },
    { type: 'write', conn: 1, t: 5, run: 'r', data: 'MQ0KYQ0K', parts: [3, 3] },
    { type: 'dropped', t: 6, count: 2 },
    { type: 'close', conn: 1, t: 7, run: 'r' },
  ];
  expect(byteEventsFromTap(tap, 1)).toEqual([
    { t: 2, dir: 'up', bytes: new Uint8Array([0x47, 0x45, 0x54]) },
    { t: 5, dir: 'down', bytes: new Uint8Array([0x31, 0x0d, 0x0a, 0x61, 0x0d, 0x0a]), parts: [3, 3] },
  ]);
});
