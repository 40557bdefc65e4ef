/**
 * When the page's EventSource client closes its source. After `done` it waits for the server to
 * end the response (EventSource's error event, fired before it would reconnect), because a close()
 * before that end resets an HTTP/2 stream and its END_STREAM frame may never be sent. The browser's
 * EventSource is played by a stand-in here; the lanes over real sockets are in the browser tests.
 */
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { sseClient } from './sse.ts';
import type { AppEvent } from './types.ts';
import { defaultSettings } from '../run/settings.ts';

/** EventSource as far as the client uses it: listeners, onopen/onerror, readyState, close(). */
class FakeSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static last: FakeSource;
  readyState = FakeSource.CONNECTING;
  closed = false;
  onopen: (() => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  constructor(readonly url: string) {
    super();
    FakeSource.last = this;
  }
  close(): void {
    this.closed = true;
    this.readyState = FakeSource.CLOSED;
  }
  open(): void {
    this.readyState = FakeSource.OPEN;
    this.onopen?.();
  }
  event(type: string, data: string): void {
    this.dispatchEvent(new MessageEvent(type, { data }));
  }
  /** The server ended the response: EventSource is about to reconnect. */
  end(): void {
    this.readyState = FakeSource.CONNECTING;
    this.onerror?.(new Event('error'));
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('EventSource', FakeSource);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function start(signal = new AbortController().signal) {
  const events: Omit<AppEvent, 't'>[] = [];
  let finished = false;
  void sseClient()(defaultSettings, 'run-1', (e) => events.push(e), signal).then(() => (finished = true));
  const source = FakeSource.last;
  source.open();
  source.event('token', JSON.stringify({ index: 0, text: 'Hi' }));
  source.event('done', '{}');
  return { events, source, finished: () => finished };
}

test('after done, the source stays open until the server ends the response, then closes before any reconnect', async () => {
  const { events, source, finished } = start();
  expect(events.map((e) => e.kind)).toEqual(['request', 'open', 'token', 'done']);
  expect(source.closed).toBe(false);
  source.end();
  expect(source.closed).toBe(true);
  await vi.advanceTimersByTimeAsync(0);
  expect(finished()).toBe(true);
  // The end is not a lost connection: nothing more is said.
  expect(events.map((e) => e.kind)).toEqual(['request', 'open', 'token', 'done']);
});

test('a server that does not end the response after done is left 500 ms later', async () => {
  const { source, finished } = start();
  await vi.advanceTimersByTimeAsync(499);
  expect(source.closed).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(source.closed).toBe(true);
  expect(finished()).toBe(true);
});

test('Stop pressed after done closes at once, without a second done', async () => {
  const stop = new AbortController();
  const { events, source } = start(stop.signal);
  stop.abort();
  expect(source.closed).toBe(true);
  expect(events.filter((e) => e.kind === 'done')).toHaveLength(1);
});
