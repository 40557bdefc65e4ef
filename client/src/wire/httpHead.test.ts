import { describe, expect, test } from 'vitest';
import { dissect, dissectConnection } from './dissect.ts';
import { headerValue } from './httpHead.ts';
import { bufferedConnection, bufferedReply, openaiConnection, sseConnection } from './testFixtures.ts';
import { bytes, elements, events, expectLeafInvariants, ofKind, resplit } from './testKit.ts';

describe('heads', () => {
  test('request line, each header, the empty line; parsed head exposed', () => {
    const { segments, exchanges } = dissectConnection(sseConnection());
    const up = elements(segments).filter((e) => e.dir === 'up');
    expect(up.map((e) => [e.kind, e.label])).toEqual([
      ['request-line', 'GET /api/stream/sse?prompt=hello&tps=20&run=r1 HTTP/1.1'],
      ['header', 'Host: localhost:5173'],
      ['header', 'Accept: text/event-stream'],
      ['header', 'Cache-Control: no-cache'],
      ['header', 'Connection: keep-alive'],
      ['head-end', 'empty line: end of head'],
    ]);
    const request = exchanges[0]?.request;
    expect(request).toMatchObject({
      method: 'GET',
      path: '/api/stream/sse',
      target: '/api/stream/sse?prompt=hello&tps=20&run=r1',
      version: 'HTTP/1.1',
      offset: 0,
    });
    expect(request?.length).toBe(up.reduce((n, e) => n + e.length, 0));
    const response = exchanges[0]?.response;
    expect(response).toMatchObject({ status: 200, reason: 'OK', t: 1001 });
    expect(response && headerValue(response, 'transfer-encoding')).toBe('chunked');
    expect(response && headerValue(response, 'CONTENT-TYPE')).toBe('text/event-stream; charset=utf-8');
  });

  test.each([
    ['Content-Type', /event-stream/],
    ['Transfer-Encoding', /chunks?/],
    ['Cache-Control', /caches/],
    ['Connection', /keep/],
    ['X-Accel-Buffering', /proxy/],
    ['Keep-Alive', /idle/],
    ['Date', /differs/],
  ])('%s is explained', (name, explain) => {
    const header = dissect(sseConnection()).find((s) => s.kind === 'header' && s.name === name && s.dir === 'down');
    expect(header?.explain).toMatch(explain);
    expect(header?.text).toBeDefined();
  });

  test('Date is labelled as varying; Content-Length and Last-Event-ID explained', () => {
    const date = dissect(sseConnection()).find((s) => s.name === 'Date');
    expect(date).toMatchObject({ varying: true, label: 'Date: Tue, 25 Nov 2025 21:00:00 GMT (varies)' });
    const input = events(['up', 'GET /s HTTP/1.1\r\nLast-Event-ID: 4\r\nContent-Length: 0\r\n\r\n']);
    const byName = new Map(dissect(input).map((s) => [s.name, s.explain]));
    expect(byName.get('Last-Event-ID')).toMatch(/resume/);
    expect(byName.get('Content-Length')).toMatch(/exactly 0 bytes/);
  });

  test('header values keep inner spaces, lose surrounding whitespace; bare LF accepted', () => {
    const { exchanges, segments } = dissectConnection(events(['up', 'GET / HTTP/1.1\nX-A:   a  b \t\n\n']));
    expect(exchanges[0]?.request?.headers).toEqual([{ name: 'X-A', value: 'a  b' }]);
    expect(segments.map((s) => s.length)).toEqual([15, 14, 1]);
  });

  test('a head line split across reads is one element in two leaves', () => {
    const input = events(['down', 'HTTP/1.1 204 No Con'], ['down', 'tent\r\nDate: x\r'], ['down', '\n\r\n']);
    const segments = dissect(input);
    expectLeafInvariants(input, segments);
    expect(segments.map((s) => [s.kind, s.part, s.event])).toEqual([
      ['status-line', 'first', 0],
      ['status-line', 'last', 1],
      ['header', 'first', 1],
      ['header', 'last', 2],
      ['head-end', 'whole', 2],
    ]);
    expect(segments[0]?.label).toBe('HTTP/1.1 204 No Content');
  });

  test('garbage instead of a request line: one error leaf, the rest opaque', () => {
    const segments = dissect(events(['up', '\x16\x03\x01 hello\r\n'], ['up', 'more bytes']));
    expect(segments.map((s) => s.kind)).toEqual(['error', 'opaque']);
  });
});

describe('bodies and keep-alive', () => {
  test('two request/response pairs on one connection, each body exactly Content-Length bytes', () => {
    const { segments, exchanges } = dissectConnection(bufferedConnection());
    expect(exchanges.map((x) => [x.index, x.request?.target, x.response?.status])).toEqual([
      [1, '/api/prompts', 200],
      [2, '/api/stream/http?prompt=hello', 200],
    ]);
    const bodies = ofKind(segments, 'body');
    expect(bodies.map((b) => [b.exchange, b.text])).toEqual([
      [1, '[{"id":"hello"}]'],
      [2, bufferedReply],
    ]);
    expect(bodies[1]?.label).toBe(`body: ${bytes(bufferedReply).length} bytes of application/json`);
    expect(bodies[1]?.payloadBytes).toBe(bytes('Hello 🙂 日本\r\ndata: x!').length);
    const statusLines = ofKind(segments, 'status-line');
    expect(statusLines.map((s) => s.exchange)).toEqual([1, 2]);
  });

  test('a Content-Length body split across reads, UTF-8 characters cut in half, decodes whole', () => {
    for (const size of [1, 2, 3, 7]) {
      const input = resplit(bufferedConnection(), size);
      const body = ofKind(dissect(input), 'body')[1];
      expect(body?.text).toBe(bufferedReply);
    }
  });

  test('POST request body in its own read', () => {
    const { segments, exchanges } = dissectConnection(openaiConnection());
    const body = ofKind(segments, 'body', 'up')[0];
    expect(body?.text).toContain('"stream":true');
    expect(exchanges[0]?.request?.method).toBe('POST');
  });

  test('100 Continue comes before the final response of the same exchange; HEAD and 304 have no body', () => {
    const { exchanges, segments } = dissectConnection(
      events(
        ['up', 'POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n'],
        ['down', 'HTTP/1.1 100 Continue\r\n\r\n'],
        ['up', 'hi'],
        ['down', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
        ['up', 'HEAD /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n'],
        ['down', 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n'],
      ),
    );
    expect(exchanges.map((x) => [x.interim.map((h) => h.status), x.response?.status])).toEqual([
      [[100], 200],
      [[], 200],
      [[], 304],
    ]);
    expect(segments.filter((s) => s.kind === 'body').map((s) => s.text)).toEqual(['hi', 'ok']);
  });

  test('a response without length or chunking runs until the connection closes', () => {
    const segments = dissect(events(['down', 'HTTP/1.1 200 OK\r\n\r\nab'], ['down', 'cd']));
    expect(segments.filter((s) => s.kind === 'body').map((s) => s.text)).toEqual(['ab', 'cd']);
  });
});
