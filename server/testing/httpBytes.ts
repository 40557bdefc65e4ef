/** HTTP/1.1 bytes taken apart by hand, so a test checks the framing itself rather than a parser's view of it. */
import { expect } from 'vitest';

export interface Head {
  startLine: string;
  /** Header lines exactly as sent, without CRLF. */
  lines: string[];
  headBytes: number;
  body: Buffer;
}

export function parseHead(bytes: Buffer): Head {
  const end = bytes.indexOf('\r\n\r\n');
  expect(end, 'the end of the head').toBeGreaterThan(0);
  const [startLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  return { startLine: startLine!, lines, headBytes: end + 4, body: bytes.subarray(end + 4) };
}

export function headerValues(head: Head, name: string): string[] {
  return head.lines.filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((line) => line.slice(name.length + 1).trim());
}

/**
 * Parses a chunked body by hand: each size line is lowercase hex, followed by CRLF, exactly that
 * many payload bytes and CRLF; the body ends with the last chunk `0\r\n\r\n` and nothing after.
 * Fails the test on any other byte (`rawHttp.ts`'s `dechunk` instead reads what has arrived so far).
 */
export function parseChunks(body: Buffer): Buffer[] {
  const payloads: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    expect(eol, `a chunk-size line at byte ${at}`).toBeGreaterThan(at);
    const sizeLine = body.subarray(at, eol).toString('latin1');
    expect(sizeLine).toMatch(/^[0-9a-f]+$/);
    const size = Number.parseInt(sizeLine, 16);
    at = eol + 2;
    if (size === 0) {
      expect(body.subarray(at).toString('latin1'), 'no trailers and nothing after the last chunk').toBe('\r\n');
      return payloads;
    }
    const payload = body.subarray(at, at + size);
    expect(payload.length).toBe(size);
    expect(body.subarray(at + size, at + size + 2).toString('latin1'), `CRLF after the chunk at byte ${at}`).toBe('\r\n');
    payloads.push(payload);
    at += size + 2;
  }
}
