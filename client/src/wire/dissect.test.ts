import { describe, expect, test } from 'vitest';
import { byteEventFromJson, byteEventToJson } from './byteEvent.ts';
import { ConnectionDissector, dissect, dissectConnection } from './dissect.ts';
import { bufferedConnection, openaiConnection, sseConnection, sseEvent, sseRequest, sseResponseHead, tokenTexts, wsConnection } from './testFixtures.ts';
import { bytes, chunk, elements, expectLeafInvariants, resplit } from './testKit.ts';
import type { ByteEvent, ByteEventJson, Direction, Segment } from './types.ts';

const fixtures: [string, () => ByteEvent[]][] = [
  ['SSE', sseConnection],
  ['OpenAI POST + SSE', openaiConnection],
  ['WebSocket', wsConnection],
  ['buffered, keep-alive', bufferedConnection],
];

/** Token texts in order of arrival, as the page's chat bubble would show them. */
function tokenStream(segments: readonly Segment[]): string[] {
  return elements(segments)
    .filter((e) => e.token !== undefined)
    .map((e) => e.tokenText ?? '');
}

describe.each(fixtures)('%s fixture', (_name, fixture) => {
  const whole = dissect(fixture());

  test('leaves cover every byte, in order, one event each', () => {
    expectLeafInvariants(fixture(), whole);
  });

  test.each([1, 2, 3, 7, 64])('fed in %i-byte reads: same elements, each leaf in one read', (size) => {
    const input = resplit(fixture(), size);
    const split = dissect(input);
    expectLeafInvariants(input, split);
    expect(elements(split)).toEqual(elements(whole));
    expect(tokenStream(split)).toEqual(tokenStream(whole));
  });
});

test('every token arrives, in order, with its exact text, on every streaming transport', () => {
  for (const fixture of [sseConnection, openaiConnection, wsConnection]) {
    expect(tokenStream(dissect(fixture()))).toEqual(tokenTexts);
    const indexes = elements(dissect(fixture())).flatMap((e) => (e.token === undefined ? [] : [e.token]));
    expect(indexes).toEqual([0, 1, 2, 3, 4, 5]);
  }
});

describe('ConnectionDissector', () => {
  test('push returns only new leaves, never one twice, and their concatenation equals dissect()', () => {
    const input = resplit(sseConnection(), 5);
    const d = new ConnectionDissector();
    const pushed = input.flatMap((e) => d.push(e));
    pushed.push(...d.end());
    expect(pushed).toEqual(dissect(input));
    expect(new Set(pushed).size).toBe(pushed.length);
    expect(d.segments).toEqual(pushed);
  });

  test('a leaf comes out as soon as its element is complete, with the time of its own read', () => {
    const d = new ConnectionDissector();
    expect(d.push({ t: 1, dir: 'up', bytes: bytes('GET / HTTP/1.1\r\nHo') })).toMatchObject([{ kind: 'request-line', t: 1 }]);
    expect(d.pending('up')).toEqual({ offset: 16, length: 2 });
    const later = d.push({ t: 2, dir: 'up', bytes: bytes('st: a\r\n\r\n') });
    expect(later.map((s) => [s.kind, s.part, s.t])).toEqual([
      ['header', 'first', 1],
      ['header', 'last', 2],
      ['head-end', 'whole', 2],
    ]);
    expect(d.pending('up')).toEqual({ offset: 27, length: 0 });
    expect(d.exchanges[0]?.request).toMatchObject({ method: 'GET', target: '/', headers: [{ name: 'Host', value: 'a' }] });
  });

  test('end() annotates what is left as incomplete, so every byte is in a leaf', () => {
    const d = new ConnectionDissector();
    const pushed = d.push({ t: 1, dir: 'down', bytes: bytes(sseResponseHead, chunk(sseEvent(0, 'a')), '40\r\nid: 1\ndata: {"ind') });
    expect(pushed.at(-1)?.label).toBe('id: 1');
    const last = d.end();
    expect(last.map((s) => s.kind)).toEqual(['incomplete']);
    expect(last[0]).toMatchObject({ layer: 'sse', label: String.raw`unterminated line "data: {\"ind"` });
    expect(d.pending('down').length).toBe(0);
    expect(() => d.push({ t: 2, dir: 'down', bytes: bytes('x') })).toThrow();
  });

  test('the summary follows the leaves', () => {
    const d = new ConnectionDissector();
    for (const e of sseConnection()) d.push(e);
    d.end();
    const s = d.summary;
    expect(s.tokens).toBe(6);
    expect(s.bytes.up).toBe(bytes(sseRequest).length);
    expect(s.firstByte).toEqual({ up: 1000, down: 1001 });
    expect(s.firstToken).toBe(1003);
    expect(s.lastToken).toBe(1008);
    expect(s.payloadBytes).toBe(bytes(tokenTexts.join('')).length);
    expect(s.framingBytes).toBe(s.bytes.up + s.bytes.down - s.payloadBytes);
    expect(s.byLayer.chunked).toBeGreaterThan(0);
    expect(Object.values(s.byLayer).reduce((a, b) => a + b)).toBe(s.bytes.up + s.bytes.down);
  });

  // How fast is a benchmark's question (bench/scrub.ts dissects a 10,000-token run); this checks
  // that a long connection is dissected whole, with no timing assertion to flake on a busy machine.
  test('thousands of events: every token counted, every leaf returned once', () => {
    const many = 5_000;
    const input: ByteEvent[] = [
      { t: 0, dir: 'up', bytes: bytes(sseRequest) },
      { t: 0, dir: 'down', bytes: bytes(sseResponseHead) },
      ...Array.from({ length: many }, (_, i) => ({ t: i, dir: 'down' as const, bytes: chunk(sseEvent(i, 'tok ')) })),
    ];
    const d = new ConnectionDissector();
    let leaves = 0;
    for (const e of input) leaves += d.push(e).length;
    expect(leaves).toBe(d.segments.length);
    expect(d.summary.tokens).toBe(many);
  }, 30_000);
});

test('fixtures as JSON with base64 bytes feed dissect() unchanged', () => {
  const input = wsConnection();
  const json = JSON.parse(JSON.stringify(input.map(byteEventToJson))) as ByteEventJson[];
  expect(dissect(json.map(byteEventFromJson))).toEqual(dissect(input));
  expect(() => byteEventFromJson({ t: 0, dir: 'sideways' as Direction, data: '' })).toThrow(/direction/);
});

test('dissectConnection gives heads and summary with the leaves', () => {
  const { exchanges, summary, segments } = dissectConnection(bufferedConnection());
  expect(exchanges.map((x) => [x.request?.path, x.response?.status])).toEqual([
    ['/api/prompts', 200],
    ['/api/stream/http', 200],
  ]);
  expect(summary.bytes.down).toBe(segments.filter((s) => s.dir === 'down').reduce((n, s) => n + s.length, 0));
});

test('client bytes sent before the 101 arrives wait for it, then dissect as frames', () => {
  const [request, response, ...rest] = wsConnection();
  if (!request || !response) throw new Error('fixture');
  const early = rest.filter((e) => e.dir === 'up');
  const reordered = [request, ...early, response];
  const d = new ConnectionDissector();
  const before = [request, ...early].flatMap((e) => d.push(e));
  expect(before.map((s) => s.kind).at(-1)).toBe('head-end');
  expect(d.pending('up').length).toBeGreaterThan(0);
  const after = d.push(response);
  expect(after.filter((s) => s.dir === 'up').map((s) => s.kind)).toContain('ws-payload');
  d.end();
  expectLeafInvariants(reordered, d.segments);
});
