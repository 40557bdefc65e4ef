import { describe, expect, test } from 'vitest';
import { CLIENT_PREFACE, Http2Dissector, dissectHttp2 } from './http2.ts';
import { bytes, elements, events, expectLeafInvariants, resplit } from './testKit.ts';
import type { Element } from './testKit.ts';
import type { ByteEvent, Direction, Segment } from './types.ts';

/** One frame: 9-byte header (RFC 9113 §4.1) and payload. */
function frame(type: number, flags: number, stream: number, ...payload: (string | Uint8Array)[]): Uint8Array {
  const p = bytes(...payload);
  const n = p.length;
  return bytes(
    new Uint8Array([n >> 16, (n >> 8) & 0xff, n & 0xff, type, flags, (stream >>> 24) & 0x7f, (stream >> 16) & 0xff, (stream >> 8) & 0xff, stream & 0xff]),
    p,
  );
}

const u32 = (n: number): Uint8Array => new Uint8Array([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const u16 = (n: number): Uint8Array => new Uint8Array([n >> 8, n & 0xff]);

/** HPACK literal without indexing, new name, plain strings (RFC 7541 §6.2.2); short strings only. */
function lit(name: string, value: string): Uint8Array {
  const n = bytes(name);
  const v = bytes(value);
  return bytes(new Uint8Array([0x00, n.length]), n, new Uint8Array([v.length]), v);
}

/** HPACK literal with incremental indexing, name from the static table (RFC 7541 §6.2.1). */
function litIndexed(index: number, value: string): Uint8Array {
  const v = bytes(value);
  return bytes(new Uint8Array([0x40 | index, v.length]), v);
}

const idx = (...indices: number[]): Uint8Array => Uint8Array.from(indices, (i) => 0x80 | i);
const settings = (...pairs: [number, number][]): Uint8Array => bytes(...pairs.map(([id, v]) => bytes(u16(id), u32(v))));

const DATA = 0;
const HEADERS = 1;
const SETTINGS = 4;
const END_STREAM = 1;
const END_HEADERS = 4;

const requestBlock = bytes(idx(2, 6, 4), litIndexed(1, 'localhost:8443'), lit('accept', 'text/event-stream'));
const responseBlock = bytes(idx(8), lit('content-type', 'text/event-stream'), lit('cache-control', 'no-cache'));

function sseEvent(index: number, text: string): string {
  return `id: ${index}\nevent: token\ndata: ${JSON.stringify({ index, text })}\n\n`;
}

/** An h2c SSE exchange as Node's client and server would send it; event 1 is split across two DATA frames. */
function sseConnection(): ByteEvent[] {
  const second = sseEvent(1, ' wire');
  return events(
    ['up', bytes(CLIENT_PREFACE, frame(SETTINGS, 0, 0, settings([2, 0], [4, 65535])))],
    ['down', frame(SETTINGS, 0, 0, settings([3, 100], [5, 16384]))],
    ['up', bytes(frame(SETTINGS, 1, 0), frame(HEADERS, END_STREAM | END_HEADERS, 1, requestBlock))],
    ['down', bytes(frame(SETTINGS, 1, 0), frame(HEADERS, END_HEADERS, 1, responseBlock))],
    ['down', frame(DATA, 0, 1, sseEvent(0, 'Hello'))],
    ['down', frame(DATA, 0, 1, second.slice(0, 20))],
    ['down', frame(DATA, 0, 1, second.slice(20))],
    ['down', frame(DATA, END_STREAM, 1)],
    ['up', frame(8, 0, 0, u32(1000))],
    ['up', frame(7, 0, 0, u32(1), u32(0), 'bye')],
  );
}

function h2(input: ByteEvent[]): { segments: Segment[]; list: Element[] } {
  const { segments } = dissectHttp2(input);
  expectLeafInvariants(input, segments);
  return { segments, list: elements(segments) };
}

const of = (list: Element[], dir: Direction): string[][] => list.filter((e) => e.dir === dir).map((e) => [e.kind, e.label]);

describe('an h2c event stream', () => {
  const input = sseConnection();
  const { segments, list } = h2(input);

  test('preface, SETTINGS, HEADERS with HPACK fields, the client side', () => {
    expect(of(list, 'up').slice(0, 16)).toEqual([
      ['h2-preface', 'connection preface PRI * HTTP/2.0'],
      ['h2-length', 'length 12 bytes'],
      ['h2-type', 'type SETTINGS'],
      ['h2-flags', 'flags none'],
      ['h2-stream-id', 'stream 0'],
      ['h2-setting', 'SETTINGS_ENABLE_PUSH = 0'],
      ['h2-setting', 'SETTINGS_INITIAL_WINDOW_SIZE = 65535'],
      ['h2-length', 'length 0 bytes'],
      ['h2-type', 'type SETTINGS'],
      ['h2-flags', 'flags ACK'],
      ['h2-stream-id', 'stream 0'],
      ['h2-length', `length ${requestBlock.length} bytes`],
      ['h2-type', 'type HEADERS'],
      ['h2-flags', 'flags END_STREAM | END_HEADERS'],
      ['h2-stream-id', 'stream 1'],
      ['hpack-indexed', ':method: "GET" (indexed 2)'],
    ]);
    const fields = list.filter((e) => e.dir === 'up' && e.layer === 'hpack');
    expect(fields.map((e) => [e.name, e.text])).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'localhost:8443'],
      ['accept', 'text/event-stream'],
    ]);
    expect(fields[3]?.explain).toMatch(/entry 62/);
  });

  test('the response: its SSE lines come from the DATA frames, the split event whole', () => {
    const sse = list.filter((e) => e.dir === 'down' && e.layer === 'sse');
    expect(sse.map((e) => [e.kind, e.token ?? e.label])).toEqual([
      ['sse-field', 'id: 0'],
      ['sse-field', 'event: token'],
      ['sse-field', 0],
      ['sse-dispatch', 'blank line: dispatch "token" (token 0)'],
      ['sse-field', 'id: 1'],
      ['sse-field', 'event: token'],
      ['sse-field', 1],
      ['sse-dispatch', 'blank line: dispatch "token" (token 1)'],
    ]);
    // The data line of event 1 has one piece in each of two DATA frames (frames 4 and 5 down), with the frame header between.
    const pieces = segments.filter((s) => s.dir === 'down' && s.token === 1);
    expect(pieces.map((s) => [s.part, s.frame, s.stream, s.exchange])).toEqual([
      ['first', 5, 1, 1],
      ['last', 6, 1, 1],
    ]);
    expect(segments.filter((s) => s.tokenText !== undefined && s.part !== 'first').map((s) => s.tokenText)).toEqual(['Hello', ' wire']);
    const down = segments.filter((s) => s.dir === 'down');
    const firstPiece = down.findIndex((s) => s.token === 1);
    expect(down.slice(firstPiece, firstPiece + 6).map((s) => s.kind)).toEqual(['sse-field', 'h2-length', 'h2-type', 'h2-flags', 'h2-stream-id', 'sse-field']);
  });

  test('exchanges: request and response heads from the decoded fields', () => {
    const { exchanges } = dissectHttp2(input);
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]?.request).toMatchObject({ method: 'GET', path: '/', version: 'HTTP/2' });
    expect(exchanges[0]?.response).toMatchObject({ status: 200, version: 'HTTP/2' });
    expect(exchanges[0]?.response?.headers).toContainEqual({ name: 'content-type', value: 'text/event-stream' });
  });

  test('WINDOW_UPDATE and GOAWAY', () => {
    expect(of(list, 'up').slice(-8)).toEqual([
      ['h2-window-increment', 'window increment 1,000 bytes'],
      ['h2-length', 'length 11 bytes'],
      ['h2-type', 'type GOAWAY'],
      ['h2-flags', 'flags none'],
      ['h2-stream-id', 'stream 0'],
      ['h2-last-stream-id', 'last stream 1'],
      ['h2-error-code', 'error NO_ERROR (0)'],
      ['h2-debug-data', 'debug data "bye"'],
    ]);
  });

  test.each([1, 2, 3, 7, 10])('re-split into reads of %i bytes: the same elements, every leaf in its event', (size) => {
    const split = resplit(input, size);
    const again = h2(split);
    expect(again.list).toEqual(list);
  });

  test('live: leaves come out as soon as their bytes are in, pending bytes are what a parser holds', () => {
    const d = new Http2Dissector();
    const split = resplit(input, 5);
    let released = 0;
    for (const e of split) {
      released += d.push(e).length;
      for (const dir of ['up', 'down'] as const) {
        const pending = d.pending(dir);
        expect(pending.length).toBeLessThan(5 + 64);
      }
    }
    released += d.end().length;
    expect(released).toBe(d.segments.length);
    expectLeafInvariants(split, d.segments);
  });
});

describe('frame types', () => {
  const preface = (): [Direction, Uint8Array] => ['up', bytes(CLIENT_PREFACE)];

  test('PADDED HEADERS with PRIORITY, then PRIORITY, RST_STREAM, PING and its ACK', () => {
    const block = idx(2, 7, 4);
    const { list } = h2(
      events(
        preface(),
        ['up', frame(HEADERS, 0x8 | 0x20 | END_HEADERS | END_STREAM, 3, new Uint8Array([2]), u32(0x80000001), new Uint8Array([15]), block, new Uint8Array(2))],
        ['up', frame(2, 0, 5, u32(3), new Uint8Array([255]))],
        ['up', frame(3, 0, 3, u32(8))],
        ['down', frame(6, 0, 0, '12345678')],
        ['up', frame(6, 1, 0, '12345678')],
      ),
    );
    const up = of(list, 'up');
    expect(up).toContainEqual(['h2-flags', 'flags END_STREAM | END_HEADERS | PADDED | PRIORITY']);
    expect(up).toContainEqual(['h2-pad-length', 'pad length 2']);
    expect(up).toContainEqual(['h2-priority', 'priority: depends on 1 (exclusive), weight 16']);
    expect(up).toContainEqual(['hpack-indexed', ':scheme: "https" (indexed 7)']);
    expect(up).toContainEqual(['h2-padding', 'padding, 2 bytes']);
    expect(up).toContainEqual(['h2-type', 'type PRIORITY']);
    expect(up).toContainEqual(['h2-priority', 'priority: depends on 3, weight 256']);
    expect(up).toContainEqual(['h2-error-code', 'error CANCEL (8)']);
    expect(of(list, 'down')).toContainEqual(['h2-ping-data', 'ping data 3132333435363738']);
    expect(up.at(-3)).toEqual(['h2-flags', 'flags ACK']);
    expect(list.find((e) => e.label === 'ping data 3132333435363738' && e.dir === 'up')?.explain).toMatch(/answered/);
  });

  test('PUSH_PROMISE: the promised stream, and the pushed request in exchanges', () => {
    const input = events(
      preface(),
      ['up', frame(HEADERS, END_STREAM | END_HEADERS, 1, idx(2, 6, 4))],
      ['down', frame(5, END_HEADERS, 1, u32(2), idx(2, 6), lit(':path', '/style.css'))],
      ['down', frame(HEADERS, END_HEADERS, 2, idx(8), lit('content-type', 'text/css'))],
      ['down', frame(DATA, END_STREAM, 2, 'p{}')],
    );
    const { list } = h2(input);
    expect(of(list, 'down')).toContainEqual(['h2-promised-stream', 'promised stream 2']);
    expect(of(list, 'down')).toContainEqual(['h2-data', 'DATA payload: 3 bytes of text/css "p{}"']);
    const { exchanges } = dissectHttp2(input);
    expect(exchanges.map((x) => [x.request?.path, x.response?.status])).toEqual([
      ['/', undefined],
      ['/style.css', 200],
    ]);
  });

  test('CONTINUATION: a header block over three frames, one field split across all three', () => {
    const block = bytes(idx(8), lit('content-type', 'text/event-stream'), lit('x-long', 'a'.repeat(40)));
    const input = events(
      preface(),
      ['down', frame(HEADERS, 0, 1, block.subarray(0, 10))],
      ['down', frame(9, 0, 1, block.subarray(10, 30))],
      ['down', frame(9, END_HEADERS, 1, block.subarray(30))],
      ['down', frame(DATA, END_STREAM, 1, 'data: hi\n\n')],
    );
    const { segments, list } = h2(input);
    const fields = list.filter((e) => e.layer === 'hpack');
    expect(fields.map((e) => e.name)).toEqual([':status', 'content-type', 'x-long']);
    const split = segments.filter((s) => s.name === 'content-type');
    expect(split.map((s) => [s.part, s.frame])).toEqual([
      ['first', 1],
      ['middle', 2],
      ['last', 3],
    ]);
    expect(of(list, 'down')).toContainEqual(['h2-type', 'type CONTINUATION']);
    expect(list.filter((e) => e.layer === 'sse').map((e) => e.kind)).toEqual(['sse-field', 'sse-dispatch']);
  });

  test('a dynamic table entry from one request is used by the next on the same connection', () => {
    const { list } = h2(
      events(
        preface(),
        ['up', frame(HEADERS, END_STREAM | END_HEADERS, 1, idx(2, 6, 4), litIndexed(1, 'example.com'))],
        ['up', frame(HEADERS, END_STREAM | END_HEADERS, 3, idx(2, 6, 4, 62))],
      ),
    );
    expect(of(list, 'up').at(-1)).toEqual(['hpack-indexed', ':authority: "example.com" (indexed 62)']);
  });

  test('an unknown frame type: its payload is shown and skipped, the next frame reads right', () => {
    const { list } = h2(events(preface(), ['up', bytes(frame(0xfa, 0x3, 0, 'hello'), frame(8, 0, 0, u32(5)))]));
    const up = of(list, 'up');
    expect(up.slice(1, 6)).toEqual([
      ['h2-length', 'length 5 bytes'],
      ['h2-type', 'type unknown 0xfa'],
      ['h2-flags', 'flags 0x3'],
      ['h2-stream-id', 'stream 0'],
      ['h2-payload', 'unknown 0xfa payload, 5 bytes'],
    ]);
    expect(up.at(-1)).toEqual(['h2-window-increment', 'window increment 5 bytes']);
  });
});

describe('bad input: annotated, never thrown', () => {
  const preface: [Direction, string] = ['up', CLIENT_PREFACE];

  test('a frame longer than the bytes that came: incomplete', () => {
    const cut = frame(DATA, 0, 1, 'x'.repeat(100)).subarray(0, 50);
    const { list } = h2(events(preface, ['down', frame(HEADERS, END_HEADERS, 1, idx(8))], ['down', cut]));
    expect(list.at(-1)).toMatchObject({ kind: 'incomplete', label: 'incomplete DATA payload, 41 bytes' });
  });

  test('a cut frame header, and a cut preface', () => {
    expect(h2(events(preface, ['down', new Uint8Array([0, 0, 4, 8])])).list.at(-1)).toMatchObject({ kind: 'incomplete', label: 'incomplete frame header' });
    expect(h2(events(['up', 'PRI * HTTP/2'])).list).toMatchObject([{ kind: 'incomplete', label: 'incomplete preface' }]);
  });

  test('an HPACK index out of range: an error, and later header blocks that way are not decoded', () => {
    const { list } = h2(
      events(
        preface,
        ['down', frame(HEADERS, END_HEADERS, 1, idx(8, 70))],
        ['down', frame(HEADERS, END_HEADERS, 3, idx(8))],
        ['up', frame(HEADERS, END_HEADERS | END_STREAM, 5, idx(2))],
      ),
    );
    const down = list.filter((e) => e.dir === 'down' && e.layer === 'hpack');
    expect(down.map((e) => [e.kind, e.label])).toEqual([
      ['hpack-indexed', ':status: "200" (indexed 8)'],
      ['error', 'HPACK error: index 70 beyond the table (it ends at 61)'],
      ['opaque', 'header block not decoded'],
    ]);
    // The other direction has its own decoder, unharmed.
    expect(list.filter((e) => e.dir === 'up' && e.layer === 'hpack').map((e) => e.kind)).toEqual(['hpack-indexed']);
  });

  test('wrong sizes: a 3-byte WINDOW_UPDATE, a 7-byte SETTINGS; padding too long', () => {
    const { list } = h2(
      events(preface, ['up', bytes(frame(8, 0, 0, '123'), frame(SETTINGS, 0, 0, '1234567'), frame(DATA, 0x8, 1, new Uint8Array([9]), 'ab'))]),
    );
    expect(list.filter((e) => e.kind === 'error').map((e) => e.label)).toEqual([
      'malformed WINDOW_UPDATE payload',
      'malformed SETTINGS payload',
      'pad length 9',
      'malformed DATA payload',
    ]);
  });

  test('a PUSH_PROMISE too short for its promised stream id: malformed, and the next frame still reads', () => {
    const { list } = h2(events(preface, ['down', bytes(frame(5, END_HEADERS, 1, new Uint8Array([0, 0])), frame(8, 0, 0, u32(7)))]));
    expect(list.filter((e) => e.kind === 'error').map((e) => e.label)).toEqual(['malformed PUSH_PROMISE payload']);
    expect(list.at(-1)?.label).toBe('window increment 7 bytes');
  });

  test('a client that does not start with the preface: an error, then opaque', () => {
    const { list } = h2(events(['up', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n']));
    expect(list.map((e) => e.kind)).toEqual(['error', 'opaque']);
  });

  test('a frame other than CONTINUATION inside a header block', () => {
    const { list } = h2(events(preface, ['down', bytes(frame(HEADERS, 0, 1, idx(8), new Uint8Array([0x00, 5])), frame(DATA, 0, 1, 'x'))]));
    expect(list.filter((e) => e.kind === 'error').map((e) => e.label)).toEqual(['HPACK error: the header block was never finished', 'type DATA']);
  });
});
