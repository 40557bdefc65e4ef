import { describe, expect, test } from 'vitest';
import { dissect } from './dissect.ts';
import { bytes, chunk, elements, events, expectLeafInvariants, lastChunk, ofKind } from './testKit.ts';
import type { ByteEvent } from './types.ts';

const jsonHead = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';

/** The chunked layer's elements as `[kind, label]`, head aside. */
function framing(input: ByteEvent[]): [string, string][] {
  return elements(dissect(input))
    .filter((e) => e.layer === 'chunked')
    .map((e) => [e.kind, e.label]);
}

describe('chunked transfer coding', () => {
  test('size line in hex and decimal, data, CRLF after data, last chunk, final CRLF', () => {
    const payload = 'x'.repeat(30);
    expect(framing(events(['down', jsonHead], ['down', chunk(payload)], ['down', lastChunk]))).toEqual([
      ['chunk-size', 'chunk size 0x1e = 30 bytes'],
      ['chunk-data', 'chunk data: 30 bytes of application/json'],
      ['chunk-crlf', 'CRLF after chunk 1'],
      ['chunk-last', 'last chunk: size 0'],
      ['chunk-end', 'empty line: end of chunked body'],
    ]);
  });

  const cases: [string, (string | Uint8Array)[]][] = [
    ['one read per chunk', [jsonHead, chunk('{"a":'), chunk('1}'), lastChunk]],
    ['several chunks in one read', [jsonHead, bytes(chunk('{"a":'), chunk('1}'), lastChunk)]],
    ['head and all chunks in one read', [bytes(jsonHead, chunk('{"a":'), chunk('1}'), lastChunk)]],
    ['a chunk split across reads', [jsonHead, '5\r\n{"', 'a":\r\n2\r\n1}\r\n', lastChunk]],
    ['a size line split mid-hex', [jsonHead, bytes(chunk('{"a":'), '00'), '0002\r\n1}\r\n0\r', '\n\r\n']],
    ['the CRLF after data split', [jsonHead, '5\r\n{"a":\r', '\n2\r\n1}\r\n0\r\n\r\n']],
  ];
  test.each(cases)('%s: same chunks, leaves in reads', (_name, reads) => {
    const input = events(...reads.map((r): ['down', string | Uint8Array] => ['down', r]));
    const segments = dissect(input);
    expectLeafInvariants(input, segments);
    const data = ofKind(segments, 'chunk-data');
    expect(data.map((d) => [d.text, d.chunks])).toEqual([
      ['{"a":', [1]],
      ['1}', [2]],
    ]);
    expect(ofKind(segments, 'chunk-end')).toHaveLength(1);
  });

  test('a size line with leading zeros and an extension', () => {
    const input = events(['down', jsonHead], ['down', '0002;name=v\r\nab\r\n0\r\n\r\n']);
    expect(framing(input)[0]).toEqual(['chunk-size', 'chunk size 0x0002 = 2 bytes (extension ;name=v)']);
  });

  test('a UTF-8 character split between two chunks shows whole in the second', () => {
    const smile = bytes('🙂');
    const input = events(['down', jsonHead], ['down', bytes(chunk(bytes('a', smile.subarray(0, 2))), chunk(bytes(smile.subarray(2), 'b')), lastChunk)]);
    expect(ofKind(dissect(input), 'chunk-data').map((d) => d.text)).toEqual(['a', '🙂b']);
  });

  test('trailer fields after the last chunk', () => {
    const input = events(['down', jsonHead], ['down', '0\r\nX-Checksum: 1\r\n\r\n']);
    expect(framing(input).map(([kind]) => kind)).toEqual(['chunk-last', 'trailer', 'chunk-end']);
  });

  test('a response after a chunked body on the same connection', () => {
    const input = events(['down', bytes(jsonHead, chunk('a'), lastChunk, 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb')]);
    expect(
      elements(dissect(input))
        .map((e) => [e.kind, e.exchange])
        .slice(-3),
    ).toEqual([
      ['header', 2],
      ['head-end', 2],
      ['body', 2],
    ]);
  });

  test('a bad size line: an error leaf, then the rest of that direction opaque', () => {
    const input = events(['down', jsonHead], ['down', 'zz\r\nhello'], ['down', 'more']);
    expect(
      dissect(input)
        .slice(-3)
        .map((s) => [s.layer, s.kind]),
    ).toEqual([
      ['chunked', 'error'],
      ['body', 'opaque'],
      ['body', 'opaque'],
    ]);
  });

  test('data not followed by CRLF is an error', () => {
    const input = events(['down', jsonHead], ['down', '1\r\nabc']);
    expect(ofKind(dissect(input), 'error')[0]?.label).toBe('expected CRLF after chunk data');
  });

  test('a stream cut off in the middle of a chunk ends with incomplete leaves', () => {
    const input = events(['down', jsonHead], ['down', '10\r\nabc']);
    const tail = dissect(input).slice(-2);
    expect(tail.map((s) => [s.kind, s.label])).toEqual([
      ['chunk-size', 'chunk size 0x10 = 16 bytes'],
      ['incomplete', 'incomplete chunk data, 3 bytes'],
    ]);
  });
});
