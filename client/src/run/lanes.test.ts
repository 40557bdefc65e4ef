import { expect, test } from 'vitest';
import { laneOfPath, laneSpec } from './lanes.ts';

test('a request over TLS from a page on plain HTTP is the HTTP/2 lane’s; the same path in the clear is the SSE lane’s', () => {
  expect(laneOfPath('/api/stream/sse?tps=5&run=r1')).toBe('sse');
  expect(laneOfPath('/api/stream/sse?tps=5&run=r1', true)).toBe('sse-h2');
  expect(laneSpec('sse-h2').secure).toBe(true);
  // Paths no secure lane has stay unfiled over TLS.
  expect(laneOfPath('/api/stream/ws', true)).toBeUndefined();
  expect(laneOfPath('/api/stream/ws')).toBe('ws');
});
