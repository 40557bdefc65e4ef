import { describe, expect, it } from 'vitest';
import { bearerToken, cookieValue } from './sessions.ts';
import { ifNoneMatchHits } from './cachedRoute.ts';
import { wsOriginAllowed } from './wsOrigin.ts';
import { formatEntry } from './accessLog.ts';

describe('cookieValue', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['streamscope_session=abc', 'abc'],
    ['theme=dark; streamscope_session=abc; x=1', 'abc'],
    ['streamscope_session_old=zzz;streamscope_session=abc', 'abc'],
    ['other=streamscope_session=abc', undefined],
    ['streamscope_session=', ''],
  ])('%j → %j', (header, value) => {
    expect(cookieValue(header, 'streamscope_session')).toBe(value);
  });
});

describe('bearerToken', () => {
  it.each([
    [undefined, undefined],
    ['Bearer abc-DEF_123', 'abc-DEF_123'],
    ['bearer abc', 'abc'],
    ['Basic dXNlcjpwYXNz', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
  ])('%j → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('ifNoneMatchHits', () => {
  it.each([
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['"x","y"', false],
    ['*', true],
    ['abc', false],
    ['"abcd"', false],
  ])('%j against "abc" → %s', (header, hit) => {
    expect(ifNoneMatchHits(header, '"abc"')).toBe(hit);
  });
});

describe('wsOriginAllowed', () => {
  const host = '127.0.0.1:5173';
  it.each([
    [true, undefined, true, 'no Origin: not a page'],
    [true, 'http://127.0.0.1:5173', true, 'same origin'],
    [true, 'http://127.0.0.1:5174', false, 'another port is another origin'],
    [true, 'http://friend.example', true, 'listed'],
    [true, 'not a url', false, 'garbage'],
    [false, 'http://evil.example', true, 'unchecked: anything goes'],
    [false, undefined, true, 'unchecked, no Origin'],
  ])('checked=%s origin=%j → %s (%s)', (checked, origin, allowed, _why) => {
    expect(wsOriginAllowed({ origin, host }, { checked, allowedOrigins: ['http://friend.example'] })).toBe(allowed);
  });
});

describe('formatEntry', () => {
  it('writes one compact line', () => {
    const base = { seq: 1, t: Date.UTC(2025, 0, 1, 12, 3, 4, 5), method: 'GET', path: '/api/labs/http/sse', auth: 'cookie', cookie: true } as const;
    expect(formatEntry({ ...base, kind: 'http', status: 200, bytes: 3412, ms: 1534, completed: false })).toBe(
      '12:03:04.005 access GET /api/labs/http/sse 200 3412B 1534ms auth=cookie cookie (client closed)',
    );
    expect(formatEntry({ ...base, kind: 'upgrade', path: '/api/stream/ws', status: null, bytes: null, ms: null, completed: true })).toBe(
      '12:03:04.005 access GET /api/stream/ws upgrade auth=cookie cookie (the WebSocket messages after the handshake are not logged)',
    );
  });
});
