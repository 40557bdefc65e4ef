/**
 * The secret-header scanner on its own: which bytes it masks, whatever the chunking.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SecretHeaderScanner, SecretQueryScanner } from './secretHeaders.ts';
import type { ByteRange } from '../wiretap/wireTap.ts';

/** Feeds `chunks` to one scanner and returns the whole text with the found ranges as `*`. */
function masked(chunks: readonly string[]): string {
  const scanner = new SecretHeaderScanner();
  return chunks
    .map((chunk) => {
      const bytes = Buffer.from(chunk, 'latin1');
      for (const [start, end] of scanner.scan(bytes)) bytes.fill(0x2a, start, end);
      return bytes.toString('latin1');
    })
    .join('');
}

const stars = (s: string): string => '*'.repeat(s.length);

describe('SecretHeaderScanner', () => {
  it.each([
    ['a Cookie value', 'GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; b=2\r\n\r\n', `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${stars('a=1; b=2')}\r\n\r\n`],
    ['an Authorization value', 'GET / HTTP/1.1\r\nAuthorization: Bearer abc\r\n\r\n', `GET / HTTP/1.1\r\nAuthorization: ${stars('Bearer abc')}\r\n\r\n`],
    [
      'any case, no space',
      'GET / HTTP/1.1\r\ncOOKIE:x=1\r\nAUTHORIZATION:\t Basic Zm9v\r\n\r\n',
      `GET / HTTP/1.1\r\ncOOKIE:${stars('x=1')}\r\nAUTHORIZATION:\t ${stars('Basic Zm9v')}\r\n\r\n`,
    ],
    [
      'Set-Cookie in a response',
      'HTTP/1.1 200 OK\r\nSet-Cookie: s=1; HttpOnly\r\nContent-Length: 0\r\n\r\n',
      `HTTP/1.1 200 OK\r\nSet-Cookie: ${stars('s=1; HttpOnly')}\r\nContent-Length: 0\r\n\r\n`,
    ],
    [
      'Proxy-Authorization',
      'GET / HTTP/1.1\r\nProxy-Authorization: Basic eA==\r\n\r\n',
      `GET / HTTP/1.1\r\nProxy-Authorization: ${stars('Basic eA==')}\r\n\r\n`,
    ],
    [
      'a folded continuation line',
      'GET / HTTP/1.1\r\nCookie: a=1;\r\n  b=2\r\nHost: x\r\n\r\n',
      `GET / HTTP/1.1\r\nCookie: ${stars('a=1;')}\r\n  ${stars('b=2')}\r\nHost: x\r\n\r\n`,
    ],
    ['an empty value', 'GET / HTTP/1.1\r\nCookie: \r\nHost: x\r\n\r\n', 'GET / HTTP/1.1\r\nCookie: \r\nHost: x\r\n\r\n'],
    [
      'two heads on one keep-alive connection',
      'GET /a HTTP/1.1\r\nCookie: one\r\n\r\nGET /b HTTP/1.1\r\nCookie: two\r\n\r\n',
      `GET /a HTTP/1.1\r\nCookie: ${stars('one')}\r\n\r\nGET /b HTTP/1.1\r\nCookie: ${stars('two')}\r\n\r\n`,
    ],
    ['bare LF line ends', 'GET / HTTP/1.1\nCookie: a\nHost: x\n\n', `GET / HTTP/1.1\nCookie: ${stars('a')}\nHost: x\n\n`],
  ])('masks %s, keeping every length', (_name, input, expected) => {
    expect(masked([input])).toBe(expected);
  });

  it.each([
    ['similar names', 'GET / HTTP/1.1\r\nX-Cookie: a\r\nCookies: b\r\nAuthorization-Hint: c\r\n\r\n'],
    ['the words in the request line or another value', 'GET /cookie:?authorization:x HTTP/1.1\r\nReferer: cookie: x\r\n\r\n'],
    ['SSE and JSON bodies', 'id: 1\nevent: token\ndata: {"text":"Cookie: no"}\n\n'],
  ])('leaves %s alone', (_name, input) => {
    expect(masked([input])).toBe(input);
  });

  it('finds the same bytes however the stream is cut (a head sent byte by byte included)', () => {
    const head = 'POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nCookie: session=s3cr3t\r\nAuthorization: Bearer t0k3n\r\n\tfolded\r\n\r\n{"a":1}\r\n';
    const whole = masked([head]);
    expect(whole).not.toMatch(/s3cr3t|t0k3n|folded/);
    expect(whole).toHaveLength(head.length);
    expect(masked([...head])).toBe(whole);
    for (let cut = 1; cut < head.length; cut++) expect(masked([head.slice(0, cut), head.slice(cut)])).toBe(whole);
  });

  it('property: secrets never survive, other bytes never change, whatever the chunking', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9=;_.-]{1,40}$/);
    const name = fc.constantFrom('Cookie', 'cookie', 'Authorization', 'AUTHORIZATION', 'Set-Cookie', 'Proxy-Authorization');
    const other = fc.record({ name: fc.constantFrom('Host', 'Accept', 'Last-Event-ID', 'X-Auth', 'Cookie2'), value: fc.stringMatching(/^[ -~]{0,30}$/) });
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ secret: fc.constant(true), name, value: token }),
            fc.record({ secret: fc.constant(false), name: other.map((o) => o.name), value: other.map((o) => o.value) }),
          ),
          { maxLength: 8 },
        ),
        fc.array(fc.nat(), { maxLength: 12 }),
        (fields, cutsRaw) => {
          const lines = fields.map((f) => `${f.name}: ${f.value}`);
          const head = `GET / HTTP/1.1\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
          const cuts = [...new Set(cutsRaw.map((c) => c % head.length))].sort((a, b) => a - b);
          const chunks = [0, ...cuts].map((start, i) => head.slice(start, [...cuts, head.length][i]));
          const out = masked(chunks.filter((c) => c.length > 0));
          const expected = `GET / HTTP/1.1\r\n${fields.map((f) => `${f.name}: ${f.secret ? stars(f.value) : f.value}\r\n`).join('')}\r\n`;
          expect(out).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns ranges within the chunk it was given', () => {
    const scanner = new SecretHeaderScanner();
    const ranges: ByteRange[] = [...scanner.scan(Buffer.from('Cookie: ab')), ...scanner.scan(Buffer.from('cd\r\n'))];
    expect(ranges).toEqual([
      [8, 10],
      [0, 2],
    ]);
  });
});

describe('SecretQueryScanner', () => {
  const mask = (text: string, pieces = 1): string => {
    const scanner = new SecretQueryScanner();
    const bytes = Buffer.from(text, 'latin1');
    const size = Math.ceil(bytes.length / pieces);
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += size) {
      const chunk = Buffer.from(bytes.subarray(at, at + size));
      for (const [s, e] of scanner.scan(chunk)) chunk.fill(0x2a, s, e);
      out.push(chunk);
    }
    return Buffer.concat(out).toString('latin1');
  };
  const line = 'GET /api/inspect/sse?url=x&header=Authorization%3A%20Bearer%20sk-1&header=X-Other%3A%20plain&header=x-api-key:sk-2 HTTP/1.1\r\n';

  it('masks the values of secret headers in header= parameters, byte for byte, however the line is cut', () => {
    for (const pieces of [1, 3, line.length]) {
      const masked = mask(line, pieces);
      expect(masked).toHaveLength(line.length);
      expect(masked).toBe(
        `GET /api/inspect/sse?url=x&header=Authorization%3A${'*'.repeat('%20Bearer%20sk-1'.length)}&header=X-Other%3A%20plain&header=x-api-key:${'*'.repeat(4)} HTTP/1.1\r\n`,
      );
    }
  });
});
