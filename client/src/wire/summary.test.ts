import { expect, test } from 'vitest';
import { dissect } from './dissect.ts';
import { addToSummary, emptySummary, summarize } from './summary.ts';
import { bufferedConnection, sseConnection, tokenTexts, wsConnection } from './testFixtures.ts';
import { bytes } from './testKit.ts';

const replyBytes = bytes(tokenTexts.join('')).length;

test.each([
  ['SSE', sseConnection, 6, replyBytes],
  ['WebSocket', wsConnection, 6, replyBytes],
  ['buffered', bufferedConnection, 0, replyBytes],
])('%s: tokens, reply bytes, framing is the rest', (_name, fixture, tokens, payload) => {
  const s = summarize(dissect(fixture()));
  expect(s.tokens).toBe(tokens);
  expect(s.payloadBytes).toBe(payload);
  expect(s.framingBytes).toBe(s.bytes.up + s.bytes.down - payload);
});

test('adding leaves in batches gives the same figures as all at once', () => {
  const segments = dissect(sseConnection());
  const s = emptySummary();
  for (let i = 0; i < segments.length; i += 7) addToSummary(s, segments.slice(i, i + 7));
  expect(s).toEqual(summarize(segments));
  expect(s.lastByte.down).toBe(1010);
});

test('WebSocket: the upstream is idle after the start message and the close', () => {
  const s = summarize(dissect(wsConnection()));
  expect(s.byLayer.ws).toBeGreaterThan(0);
  expect(s.lastByte.up).toBe(1012);
  expect(s.firstToken).toBe(1003);
});
