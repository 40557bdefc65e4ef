import { describe, expect, test } from 'vitest';
import { dissect } from './dissect.ts';
import { openaiConnection, sseConnection, sseResponseHead } from './testFixtures.ts';
import { bytes, chunk, elements, events, expectLeafInvariants, lastChunk, resplit, resplitRandom } from './testKit.ts';
import type { Element } from './testKit.ts';
import type { ByteEvent } from './types.ts';

/** A chunked SSE response carrying `reads`, each read sent as it is (chunk framing included by the caller). */
function stream(...reads: (string | Uint8Array)[]): ByteEvent[] {
  return events(['down', sseResponseHead], ...reads.map((r): ['down', string | Uint8Array] => ['down', r]));
}

/** SSE elements as `[kind, label]`. */
function sse(input: ByteEvent[]): Element[] {
  const segments = dissect(input);
  expectLeafInvariants(input, segments);
  return elements(segments).filter((e) => e.layer === 'sse');
}

describe('SSE fields', () => {
  test('id, event, data with a token, the dispatching blank line; retry; comments', () => {
    const lines = sse(stream(chunk(': ping\nretry: 3000\n\nid: 7\nevent: token\ndata: {"index":7,"text":"Hi"}\n\n'), lastChunk));
    expect(lines.map((e) => [e.kind, e.label, e.sseEvent])).toEqual([
      ['sse-comment', 'comment "ping"', 1],
      ['sse-field', 'retry: 3000 ms', 1],
      ['sse-block-end', 'blank line: ends the block; no data, so no event', 1],
      ['sse-field', 'id: 7', 2],
      ['sse-field', 'event: token', 2],
      ['sse-field', 'data: token 7 "Hi"', 2],
      ['sse-dispatch', 'blank line: dispatch "token" (token 7)', 2],
    ]);
    const data = lines[5];
    expect(data).toMatchObject({ name: 'data', text: '{"index":7,"text":"Hi"}', token: 7, tokenText: 'Hi', payloadBytes: 2, chunks: [1] });
  });

  // WHATWG HTML §9.2.6, "dispatch the event" step 2: an empty data buffer dispatches nothing.
  test.each([
    ['a retry-only block', 'retry: 1000\n\n', 'sse-block-end'],
    ['a heartbeat comment', ': keep-alive\n\n', 'sse-block-end'],
    ['an id-only block (it still sets the last event ID)', 'id: 4\n\n', 'sse-block-end'],
    ['an event: with no data', 'event: token\n\n', 'sse-block-end'],
    ['a data line with an empty value (data buffer "\\n")', 'data\n\n', 'sse-dispatch'],
  ])('the blank line after %s: %s', (_name, block, kind) => {
    const blank = sse(stream(chunk(block), lastChunk)).at(-1);
    expect(blank?.kind).toBe(kind);
    expect(blank?.label.includes('dispatch "')).toBe(kind === 'sse-dispatch');
  });

  test.each([
    ['data:x', 'data', 'x'],
    ['data: x', 'data', 'x'],
    ['data:  x', 'data', ' x'],
    ['data', 'data', ''],
    ['foo: bar', 'foo', 'bar'],
    ['retry: soon', 'retry', 'soon'],
  ])('%j: field %j, value %j', (line, name, value) => {
    const field = sse(stream(chunk(`${line}\n\n`), lastChunk))[0];
    expect(field).toMatchObject({ kind: 'sse-field', name, text: value });
  });

  test.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('%s line endings', (_name, eol) => {
    const body = `id: 1${eol}data: {"index":1,"text":"a"}${eol}${eol}`;
    const whole = sse(stream(chunk(body), lastChunk));
    expect(whole.map((e) => [e.kind, e.length])).toEqual([
      ['sse-field', 5 + eol.length],
      ['sse-field', 28 + eol.length],
      ['sse-dispatch', eol.length],
    ]);
    // The same body one byte per chunk: a CR at the end of a chunk waits for the next byte.
    const perByte = sse(stream(...Array.from(bytes(body), (b) => chunk(new Uint8Array([b]))), lastChunk));
    expect(perByte.map((e) => [e.kind, e.label, e.token])).toEqual(whole.map((e) => [e.kind, e.label, e.token]));
  });

  test('a final lone CR still ends its line when the body ends', () => {
    const lines = sse(stream(chunk('data: a\r\r'), lastChunk));
    expect(lines.map((e) => e.kind)).toEqual(['sse-field', 'sse-dispatch']);
  });

  test('a field split across two chunks: one element, pieces tagged with their chunk', () => {
    const input = stream(chunk('id: 3\ndata: {"index":3,'), chunk('"text":"ab"}\n\n'), lastChunk);
    const segments = dissect(input);
    const pieces = segments.filter((s) => s.name === 'data');
    expect(pieces.map((s) => [s.part, s.chunk, s.token, s.event])).toEqual([
      ['first', 1, 3, 1],
      ['last', 2, 3, 2],
    ]);
    // The chunk framing between the pieces stays in byte order.
    const down = segments.filter((s) => s.dir === 'down' && s.layer !== 'http').map((s) => s.kind);
    expect(down).toEqual([
      'chunk-size',
      'sse-field',
      'sse-field',
      'chunk-crlf',
      'chunk-size',
      'sse-field',
      'sse-dispatch',
      'chunk-crlf',
      'chunk-last',
      'chunk-end',
    ]);
  });

  test.each([
    ['emoji', '🙂'],
    ['Japanese', '日本語'],
  ])('a UTF-8 %s split across chunks and reads decodes right', (_name, text) => {
    const body = bytes(`data: ${JSON.stringify({ index: 0, text })}\n\n`);
    const at = body.indexOf(bytes(text)[0] ?? 0) + 1;
    for (const input of [
      stream(chunk(body.subarray(0, at)), chunk(body.subarray(at)), lastChunk),
      stream(bytes(chunk(body), lastChunk).subarray(0, at + 4), bytes(chunk(body), lastChunk).subarray(at + 4)),
    ]) {
      expect(sse(input)[0]).toMatchObject({ tokenText: text, text: JSON.stringify({ index: 0, text }) });
    }
  });

  test('a data line spread over 3,000 one-byte chunks: one element, framing in between stays in byte order', () => {
    const line = `data: ${JSON.stringify({ index: 9, text: 'x'.repeat(2950) })}\n`;
    const input = stream(bytes(...Array.from(bytes(line), (b) => chunk(new Uint8Array([b])))), chunk('\n'), lastChunk);
    const lines = sse(input);
    expect(lines[0]).toMatchObject({ token: 9, length: bytes(line).length + 5 * (bytes(line).length - 1) });
    expect(lines[0]?.chunks).toHaveLength(bytes(line).length);
  });

  test('a byte order mark at the start is its own leaf', () => {
    const lines = sse(stream(chunk(bytes(new Uint8Array([0xef, 0xbb, 0xbf]), 'data: a\n\n')), lastChunk));
    expect(lines.map((e) => e.kind)).toEqual(['sse-bom', 'sse-field', 'sse-dispatch']);
  });

  test('an unterminated line at the end of the stream is incomplete', () => {
    const lines = sse(stream(chunk('data: a\n\ndata: b'), lastChunk));
    expect(lines.at(-1)).toMatchObject({ kind: 'incomplete', label: 'unterminated line "data: b"' });
  });

  test('the Streamscope SSE stream: tokens with CR, LF and "data:" inside stay one data line each', () => {
    const lines = sse(sseConnection());
    const data = lines.filter((e) => e.name === 'data' && e.token !== undefined);
    expect(data[4]).toMatchObject({ tokenText: '\r\ndata: x', token: 4 });
    // 6 tokens and `done` are dispatched; the blank line after `retry:` is not.
    expect(lines.filter((e) => e.kind === 'sse-dispatch')).toHaveLength(7);
    expect(lines.filter((e) => e.kind === 'sse-block-end')).toHaveLength(1);
    expect(lines.at(-2)?.label).toBe('data: {"tokens":6}');
  });
});

describe('OpenAI-style SSE', () => {
  test('content deltas numbered in order; role and finish chunks are not tokens; [DONE]', () => {
    const data = sse(openaiConnection()).filter((e) => e.name === 'data');
    expect(data.map((e) => e.token ?? e.label)).toEqual([
      'data: chat.completion.chunk (no content)',
      0,
      1,
      2,
      3,
      4,
      5,
      'data: chat.completion.chunk (finish_reason stop)',
      'data: [DONE]',
    ]);
    expect(data[3]?.tokenText).toBe(' 🙂');
    expect(data[1]?.explain).toMatch(/choices\[0\]\.delta\.content/);
  });
});

/** The same input whole, one byte per read, and cut at random in a few seeded ways. */
function splits(input: ByteEvent[]): [string, ByteEvent[]][] {
  return [
    ['whole', input],
    ['byte by byte', resplit(input, 1)],
    ...[1, 7, 42, 1234].map((seed): [string, ByteEvent[]] => [`random splits (seed ${seed})`, resplitRandom(input, seed, 6)]),
  ];
}

// WHATWG HTML §9.2.5: the stream is decoded with "UTF-8 decode", which strips one BOM at the
// very start of the stream and never again; a U+FEFF later is part of its line.
describe('byte order mark, once', () => {
  const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

  test.each(splits(stream(chunk(bytes(BOM, 'data: a\n\n')), lastChunk)))('at the start of the stream it is stripped, its own leaf: %s', (_name, input) => {
    const lines = sse(input);
    expect(lines.map((e) => [e.kind, e.label, e.length])).toEqual([
      ['sse-bom', 'byte order mark', 3],
      ['sse-field', 'data: a', 8],
      ['sse-dispatch', 'blank line: dispatch "message"', 1],
    ]);
    expect(lines[1]).toMatchObject({ name: 'data', text: 'a' });
  });

  test.each(splits(stream(chunk(bytes('data: a\n\n', BOM, 'data: b\n\n')), lastChunk)))(
    'at the start of a later line it stays: "\uFEFFdata" is an unknown field and nothing is dispatched: %s',
    (_name, input) => {
      const lines = sse(input);
      expect(lines.map((e) => e.kind)).toEqual(['sse-field', 'sse-dispatch', 'sse-field', 'sse-block-end']);
      expect(lines[2]).toMatchObject({ name: '\uFEFFdata', text: 'b', length: 11, label: expect.stringMatching(/unknown field/) as unknown });
    },
  );

  test.each(splits(stream(chunk(bytes(BOM, BOM, 'data: a\n\n')), lastChunk)))('two at the start: only the first is stripped: %s', (_name, input) => {
    const lines = sse(input);
    expect(lines.map((e) => e.kind)).toEqual(['sse-bom', 'sse-field', 'sse-block-end']);
    expect(lines[1]).toMatchObject({ name: '\uFEFFdata', length: 11 });
  });

  test.each(splits(stream(chunk(bytes('data: x', BOM, 'y\n\n')), lastChunk)))('inside a value it is text: %s', (_name, input) => {
    expect(sse(input)[0]).toMatchObject({ name: 'data', text: 'x\uFEFFy' });
  });
});
