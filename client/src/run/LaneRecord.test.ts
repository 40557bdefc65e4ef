import { beforeAll, describe, expect, test } from 'vitest';
import { LaneRecord } from './LaneRecord.svelte.ts';
import { captured, pageEvents, resplit, sseFixtureTokens } from './capturedLane.ts';
import { bytes } from '../wire/testKit.ts';
import type { LaneSegment } from './LaneRecord.svelte.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { byteEventFromJson } from '../wire/byteEvent.ts';
import type { ByteEventJson } from '../wire/types.ts';
import { loadBinaryDissectors } from '../wire/dissectors.ts';

// HTTP/2 and TLS are read by a chunk the page loads on its own.
beforeAll(() => loadBinaryDissectors());

/** Token texts in order, each counted once (on the last piece of its element). */
const tokenTexts = (segments: readonly LaneSegment[]): string[] =>
  segments.filter((s) => s.dir === 'down' && s.tokenText !== undefined && (s.part === 'whole' || s.part === 'last')).map((s) => s.tokenText!);

const sseTokens = sseFixtureTokens;

describe('LaneRecord: the tap events of a captured connection in, segments and totals out', () => {
  test.each([
    // fixture, reads, writes, bytes up, bytes down, segments, largest write, tokens in the bytes
    ['sse', 1, 23, 357, 1518, 154, 184, 21],
    ['ws', 3, 24, 411, 1091, 93, 129, 21],
    ['http', 1, 1, 358, 454, 17, 454, 0],
  ] as const)('%s: %d reads, %d writes, %d B up, %d B down, %d segments', (name, reads, writes, up, down, segments, largest, tokens) => {
    const { wire } = captured(name, 1000);
    const lane = new LaneRecord('sse');
    for (const e of wire) lane.addWire(e);
    expect(lane.wire).toHaveLength(reads + writes);
    expect(lane.totals.wire.at(-1)).toEqual({ down, up, writes });
    expect(lane.segments).toHaveLength(segments);
    expect(lane.largestWrite).toBe(largest);
    expect(tokenTexts(lane.segments)).toHaveLength(tokens);
    // Every segment's bytes are a view of exactly its length, on its connection.
    expect(lane.segments.every((s) => s.bytes.length === s.length && s.conn === 1)).toBe(true);
  });

  test('the totals run: each is the state after its event', () => {
    const lane = new LaneRecord('sse');
    for (const e of captured('sse', 1000).wire.slice(0, 4)) lane.addWire(e);
    expect(lane.totals.wire).toEqual([
      { down: 0, up: 357, writes: 0 },
      { down: 184, up: 357, writes: 1 },
      { down: 202, up: 357, writes: 2 },
      { down: 261, up: 357, writes: 3 },
    ]);
  });

  test.each([1, 7, 64])('bytes re-cut into %d-byte reads give the same tokens and byte totals', (size) => {
    const whole = new LaneRecord('sse');
    const cut = new LaneRecord('sse');
    const { text, wire } = captured('sse', 1000);
    for (const e of wire) whole.addWire(e);
    for (const e of resplit(wire, size)) cut.addWire(e);
    expect(tokenTexts(cut.segments)).toEqual(sseTokens);
    expect(tokenTexts(cut.segments).join('')).toBe(text);
    expect(cut.totals.wire.at(-1)!.down).toBe(whole.totals.wire.at(-1)!.down);
    expect(cut.totals.wire.at(-1)!.up).toBe(whole.totals.wire.at(-1)!.up);
    // Every byte is in exactly one leaf segment.
    expect(cut.segments.reduce((n, s) => n + s.length, 0)).toBe(whole.segments.reduce((n, s) => n + s.length, 0));
  });

  test('the page side: tokens, text bytes and status after each event', () => {
    const lane = new LaneRecord('sse');
    for (const e of pageEvents(sseTokens.slice(0, 3), 500)) lane.addApp(e);
    expect(lane.tokens).toEqual(['Hello', ',', ' wire']);
    expect(lane.totals.app.map(({ tokens, textBytes, status }) => [tokens, textBytes, status])).toEqual([
      [0, 0, 'waiting'],
      [0, 0, 'waiting'],
      [1, 5, 'streaming'],
      [2, 6, 'streaming'],
      [3, 11, 'streaming'],
      [3, 11, 'done'],
    ]);
  });

  test('a reconnect and a failure are states of the totals, not wording', () => {
    const lane = new LaneRecord('sse');
    lane.addApp({ t: 1, kind: 'token', index: 0, text: 'a' });
    lane.addApp({ t: 2, kind: 'reconnecting', detail: 'x' });
    lane.addApp({ t: 3, kind: 'token', index: 1, text: 'b' });
    lane.addApp({ t: 4, kind: 'error', detail: 'gone' });
    expect(lane.totals.app.map((a) => a.trouble?.state)).toEqual([undefined, 'lost', 'resumed', 'failed']);
    expect(lane.totals.app.at(-1)).toMatchObject({ status: 'error', tokens: 2, trouble: { afterTokens: 2, drops: 1, detail: 'gone' } });
  });

  // Token 0 is written 12.24 ms after the request was read; token 5 at 23.53 ms.
  test.each([
    ['wire first', false],
    ['page first', true],
  ])('the clock bound from tokens seen on both sides (%s)', (_, pageFirst) => {
    const lane = new LaneRecord('sse');
    const wire = () => captured('sse', 1000).wire.forEach((e) => lane.addWire(e));
    const page = () => {
      lane.addApp({ t: 427, kind: 'token', index: 0, text: 'Hello' });
      lane.addApp({ t: 430, kind: 'token', index: 5, text: ' line' });
      lane.addApp({ t: 900, kind: 'token', index: 6, text: ' ' });
    };
    expect(lane.tokenBound).toBe(-Infinity);
    if (pageFirst) page();
    wire();
    if (!pageFirst) page();
    // max(1012.24 − 427, 1023.53 − 430, 1024.00 − 900): token 5.
    expect(lane.tokenBound).toBeCloseTo(593.53173828125, 9);
  });

  test('connections: opened, then closed', () => {
    const lane = new LaneRecord('sse');
    lane.addConn({ conn: 3, method: 'GET', path: '/api/stream/sse', remoteAddress: '127.0.0.1', remotePort: 5000, localPort: 8080, opened: 10 });
    expect(lane.conns.get(3)?.closed).toBeUndefined();
    lane.closeConn(3, 99);
    lane.closeConn(4, 99);
    expect([...lane.conns.keys()]).toEqual([3]);
    expect(lane.conns.get(3)?.closed).toBe(99);
  });

  test('exchanges, and the instances that answered by a time', () => {
    const lane = new LaneRecord('sse');
    const response = (instance: string) => `HTTP/1.1 200 OK\r\nX-Streamscope-Instance: ${instance}\r\nContent-Length: 2\r\n\r\nhi`;
    const request = 'GET /api/stream/http HTTP/1.1\r\nHost: x\r\n\r\n';
    lane.addWire({ conn: 1, t: 10, dir: 'up', bytes: bytes(request) });
    lane.addWire({ conn: 1, t: 20, dir: 'down', bytes: bytes(response('a')) });
    lane.addWire({ conn: 2, t: 30, dir: 'up', bytes: bytes(request) });
    lane.addWire({ conn: 2, t: 40, dir: 'down', bytes: bytes(response('b')) });
    expect(lane.exchanges().map((c) => [c.conn, c.exchanges.length])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(lane.instances()).toEqual(['a', 'b']);
    expect(lane.instances((t) => t <= 25)).toEqual(['a']);
  });

  test('views hear of new events only when the player announces them, per side', () => {
    const lane = new LaneRecord('sse');
    const [read, write] = captured('sse', 1000).wire;
    expect(lane.version).toBe(0);
    lane.addWire(read!);
    lane.addWire(write!);
    expect(lane.version).toBe(0);
    expect(lane.wire).toHaveLength(2);
    lane.announce();
    expect(lane.version).toBe(1);
    lane.announce();
    expect(lane.version).toBe(1);
    lane.addApp({ t: 1, kind: 'request' });
    lane.addGeneration({ conn: 1, t: 2, from: 0, generated: 3, of: 3, reason: 'complete' });
    lane.announce();
    expect(lane.version).toBe(3);
    expect(lane.generation).toHaveLength(1);
  });
});

describe('LaneRecord: a connection the tap says speaks HTTP/2', () => {
  test('is dissected as HTTP/2: frames by stream, the reply from its DATA frames, the exchange from HPACK', () => {
    const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, '../wire/fixtures/h2c-sse.json'), 'utf8')) as {
      text: string;
      events: ByteEventJson[];
    };
    const lane = new LaneRecord('sse');
    lane.addConn({
      conn: 7,
      method: 'GET',
      path: '/api/stream/sse',
      remoteAddress: '127.0.0.1',
      remotePort: 50000,
      localPort: 3443,
      opened: 0,
      protocol: 'h2',
    });
    for (const e of fixture.events.map(byteEventFromJson)) lane.addWire({ ...e, conn: 7 });
    expect(lane.segments.some((s) => s.kind === 'h2-preface')).toBe(true);
    expect(lane.segments.filter((s) => s.kind === 'h2-type' && s.stream === 1).length).toBeGreaterThan(2);
    expect(tokenTexts(lane.segments).join('')).toBe(fixture.text);
    expect(lane.exchanges()[0]?.exchanges[0]?.request?.headers.some((h) => h.name === ':path')).toBe(true);
  });

  test('a connection without a protocol stays HTTP/1.1', () => {
    const lane = new LaneRecord('sse');
    for (const e of captured('sse', 1000).wire) lane.addWire(e);
    expect(lane.segments.some((s) => s.kind.startsWith('h2-'))).toBe(false);
  });
});
