import { describe, expect, test } from 'vitest';
import { cacheControlNote, headerNote } from './headerNotes.ts';

describe('Cache-Control notes say what each directive asks (RFC 9111 §5.2.2)', () => {
  test.each([
    // The SSE stream's: stored, but revalidated before every reuse; never "never store".
    ['no-cache', /no-cache: a cache may keep a copy, but must ask the server before every reuse/, /no cache may keep/],
    // The buffered reply's: never stored.
    ['no-store', /no-store: no cache may keep a copy at all/, /may keep a copy, but/],
    [
      'private, max-age=0, must-revalidate',
      /private: only the browser’s own cache.*max-age=0: fresh for 0 s.*must-revalidate: once stale/,
      /no-store|no-cache/,
    ],
    ['no-cache, no-transform', /no-cache: .*; no-transform: proxies must not change the body/, /no-store/],
  ])('%s', (value, says, saysNot) => {
    const note = headerNote('Cache-Control', value, 'down').explain;
    expect(note).toMatch(says);
    expect(note).not.toMatch(saysNot);
    expect(note).toBe(cacheControlNote(value));
  });

  test('an unknown directive is named, not explained away', () => {
    expect(cacheControlNote('stale-while-revalidate=30')).toContain('stale-while-revalidate=30');
  });
});

describe('Sec-WebSocket-Protocol', () => {
  test('up: the one header the browser WebSocket API can set', () => {
    expect(headerNote('Sec-WebSocket-Protocol', 'chat', 'up').explain).toMatch(/new WebSocket\(url, protocols\).*token/);
  });
  test('down: the server picks one', () => {
    expect(headerNote('Sec-WebSocket-Protocol', 'chat', 'down').explain).toMatch(/picked/);
  });
});
