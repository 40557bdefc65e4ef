import { afterEach, describe, expect, it } from 'vitest';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventStream, lastEventId, sseComment, sseEvent, sseRetry } from './eventStream.ts';
import { rawGet } from '../testing/rawHttp.ts';
import { until } from '../testing/until.ts';

describe('sseEvent', () => {
  it.each([
    [{ id: 0, event: 'token', data: { index: 0, text: 'Hi' } }, 'id: 0\nevent: token\ndata: {"index":0,"text":"Hi"}\n\n'],
    [{ event: 'done', data: { tokens: 3 } }, 'event: done\ndata: {"tokens":3}\n\n'],
    [{ data: '[DONE]' }, 'data: [DONE]\n\n'],
    [{ data: '{"already":"json"}' }, 'data: {"already":"json"}\n\n'],
    [{ data: { text: 'a\r\nb' } }, 'data: {"text":"a\\r\\nb"}\n\n'],
    [{ data: 'two\nlines\r\nthree' }, 'data: two\ndata: lines\ndata: three\n\n'],
  ])('%j', (fields, bytes) => {
    expect(sseEvent(fields)).toBe(bytes);
  });

  it('retry hints and comments', () => {
    expect(sseRetry(1000)).toBe('retry: 1000\n\n');
    expect(sseComment('keep-alive')).toBe(': keep-alive\n\n');
  });
});

describe('lastEventId', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['41', 41],
  ])('%j reads as %j', (header, n) => {
    expect(lastEventId(header === undefined ? {} : { 'last-event-id': header }, 42)).toBe(n);
  });

  it.each(['42', '-1', '1.5', 'abc', ' 3'])('%j is a 400 naming the header', (header) => {
    expect(() => lastEventId({ 'last-event-id': header }, 42)).toThrow(expect.objectContaining({ status: 400, param: 'Last-Event-ID' }) as Error);
  });
});

describe('EventStream over a real socket', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function serve(handler: http.RequestListener): Promise<string> {
    server = http.createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  it('writes the head, retry and opening events, a keep-alive while quiet, then events', async () => {
    const url = await serve((_req, res) => {
      const stream = new EventStream(res, { retryMs: 500, keepAlive: { ms: 40 } }, [sseEvent({ event: 'hello', data: 1 })]);
      setTimeout(() => {
        void stream.send({ event: 'bye', data: 2 }).then(() => stream.end());
      }, 70);
    });
    const response = await rawGet(url);
    expect(response.headers['content-type']).toBe('text/event-stream');
    expect(response.headers['x-accel-buffering']).toBe('no');
    const body = response.body.toString();
    expect(body).toMatch(/retry: 500\n\nevent: hello\ndata: 1\n\n\r\n.*: keep-alive\n\n\r\n.*event: bye\ndata: 2\n\n/s);
  });

  it('an interval keep-alive with its own comment; a closed client leaves no timer behind', async () => {
    let stream: EventStream | undefined;
    const url = await serve((_req, res) => {
      stream = new EventStream(res, { keepAlive: { ms: 20, comment: 'still here', every: 'interval' } });
    });
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes(': still here\n\n: still here\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await until(() => stream?.closed === true && timers() <= before, 'the keep-alive timer to stop');
  });
});
