/**
 * A compressed body (`Content-Encoding: gzip`, as compression middleware sends an event stream)
 * is shown as the compressed bytes it is on the wire: no SSE fields parsed out of it.
 */
import zlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { dissect } from './dissect.ts';
import { contentCoding } from './framing.ts';
import type { ResponseHead } from './types.ts';
import { sseEvent, sseRequest, sseResponseHead, tokenTexts } from './testFixtures.ts';
import { bytes, chunk, elements, events, expectLeafInvariants, lastChunk, resplit } from './testKit.ts';

describe('contentCoding', () => {
  test.each([
    ['gzip', 'gzip'],
    [' GZIP ', 'gzip'],
    ['br', 'br'],
    ['gzip, br', 'gzip, br'],
    ['identity', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('Content-Encoding %j → %j', (value, expected) => {
    const head: ResponseHead = {
      type: 'response',
      status: 200,
      reason: 'OK',
      version: 'HTTP/1.1',
      offset: 0,
      length: 0,
      t: 0,
      headers: value === undefined ? [] : [{ name: 'Content-Encoding', value }],
    };
    expect(contentCoding(head)).toBe(expected);
  });
});

/** A gzip-compressed event stream, its compressed bytes cut into chunks of 20 bytes or fewer. */
function gzipConnection(head: string): ReturnType<typeof events> {
  const stream = ['retry: 3000\n\n', ...tokenTexts.map((text, i) => sseEvent(i, text)), 'event: done\ndata: {}\n\n'].join('');
  const compressed = zlib.gzipSync(stream);
  const chunks: ['down', Uint8Array][] = [];
  for (let at = 0; at < compressed.length; at += 20) chunks.push(['down', chunk(new Uint8Array(compressed.subarray(at, at + 20)))]);
  return events(['up', sseRequest], ['down', head], ...chunks, ['down', lastChunk]);
}

const gzipHead = sseResponseHead.replace('Transfer-Encoding: chunked', 'Content-Encoding: gzip\r\nVary: Accept-Encoding\r\nTransfer-Encoding: chunked');

describe('a gzip-compressed event stream', () => {
  const input = gzipConnection(gzipHead);
  const segments = dissect(input);

  test("keeps the chunked framing and labels each chunk's data as compressed, with no text", () => {
    expectLeafInvariants(input, segments);
    const data = elements(segments).filter((e) => e.kind === 'chunk-data');
    expect(data.length).toBeGreaterThan(3);
    for (const e of data) {
      expect(e.label).toMatch(/^chunk data: \d+ bytes? of text\/event-stream, gzip-compressed$/);
      expect(e.explain).toContain('Compressed with gzip');
      expect(e.text).toBeUndefined();
    }
    expect(elements(segments).filter((e) => e.kind === 'chunk-size')).toHaveLength(data.length);
  });

  test('parses no SSE fields and finds no tokens in compressed bytes', () => {
    expect(segments.filter((s) => s.layer === 'sse')).toEqual([]);
    expect(segments.filter((s) => s.token !== undefined)).toEqual([]);
    expect(segments.filter((s) => s.kind === 'error' || s.kind === 'opaque')).toEqual([]);
  });

  test.each([1, 7, 64])('reads %i bytes at a time: the same elements', (size) => {
    const split = resplit(input, size);
    expect(elements(dissect(split))).toEqual(elements(segments));
  });

  test('Content-Encoding: identity is no coding: the SSE fields are parsed as usual', () => {
    const head = sseResponseHead.replace('Transfer-Encoding: chunked', 'Content-Encoding: identity\r\nTransfer-Encoding: chunked');
    const plain = dissect(events(['up', sseRequest], ['down', head], ['down', chunk(sseEvent(0, 'hi'))], ['down', lastChunk]));
    expect(plain.filter((s) => s.token === 0).map((s) => s.tokenText)).toEqual(['hi']);
  });

  test('a compressed Content-Length body is labelled the same way', () => {
    const body = zlib.gzipSync('{"text":"hi","tokens":["hi"]}');
    const head = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n`;
    const [e] = elements(dissect(events(['up', 'GET /api/stream/http HTTP/1.1\r\nHost: a\r\n\r\n'], ['down', bytes(head, new Uint8Array(body))]))).filter(
      (x) => x.kind === 'body',
    );
    expect(e).toMatchObject({ label: `body: ${body.length} bytes of application/json, gzip-compressed`, text: undefined, payloadBytes: 0 });
  });
});
