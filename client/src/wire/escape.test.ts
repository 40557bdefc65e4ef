import { describe, expect, test } from 'vitest';
import { escapeBytes, escapeChars, hexBytes, hexDump } from './escape.ts';
import { bytes } from './testKit.ts';

const smile = bytes('🙂'); // f0 9f 99 82

describe('escapeBytes', () => {
  test.each([
    ['CRLF and LF', bytes('HTTP/1.1 200 OK\r\n\n'), 'HTTP/1.1 200 OK\\r\\n\\n'],
    ['tab and backslash', bytes('a\tb\\c'), 'a\\tb\\\\c'],
    ['NUL, DEL and other controls', new Uint8Array([0x00, 0x1b, 0x7f]), '\\x00\\x1b\\x7f'],
    ['emoji and Japanese whole', bytes('🙂 日本'), '🙂 日本'],
    ['half an emoji (cut by a read)', smile.subarray(0, 2), '\\xf0\\x9f'],
    ['the other half', smile.subarray(2), '\\x99\\x82'],
    ['a C1 control U+0085', bytes('\u0085'), '\\xc2\\x85'],
    ['overlong encoding of "/"', new Uint8Array([0xc0, 0xaf]), '\\xc0\\xaf'],
    ['a UTF-16 surrogate encoded in UTF-8', new Uint8Array([0xed, 0xa0, 0x80]), '\\xed\\xa0\\x80'],
    ['a WebSocket frame header', new Uint8Array([0x81, 0x05]), '\\x81\\x05'],
  ])('%s', (_name, input, want) => {
    expect(escapeBytes(input)).toBe(want);
  });

  test('utf8: false escapes every byte above 0x7f', () => {
    expect(escapeBytes(bytes('é'), { utf8: false })).toBe('\\xc3\\xa9');
  });

  test('escapeChars maps each drawn character to its bytes', () => {
    expect(escapeChars(bytes('a\r🙂'))).toEqual([
      { text: 'a', start: 0, length: 1, escaped: false },
      { text: '\\r', start: 1, length: 1, escaped: true },
      { text: '🙂', start: 2, length: 4, escaped: false },
    ]);
  });
});

describe('hex', () => {
  test('hexBytes', () => {
    expect(hexBytes(bytes('HT\r\n'))).toBe('48 54 0d 0a');
    expect(hexBytes(new Uint8Array())).toBe('');
  });

  test('hexDump rows with offsets and ASCII', () => {
    expect(hexDump(bytes('0\r\n\r\n'), 0x1f0, 4)).toEqual(['000001f0  30 0d 0a 0d  0...', '000001f4  0a           .']);
  });
});
