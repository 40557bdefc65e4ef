/** A test's reader of the wire tap: every event it streams, collected in order. */
import { expect } from 'vitest';
import http from 'node:http';
import { createParser } from 'eventsource-parser';
import { tapPath, type TapEvent } from '../../shared/tap.ts';

export interface TapReader {
  events: TapEvent[];
  /** The SSE `retry:` hint the tap stream sent, if any. */
  retry: number | undefined;
  stop(): void;
}

/** Subscribes to `/api/tap` and resolves once its response head has arrived (the tap is listening then). */
export async function subscribeTap(url: string, run?: string): Promise<TapReader> {
  const controller = new AbortController();
  const response = await fetch(`${url}${tapPath}${run === undefined ? '' : `?run=${run}`}`, { signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const reader: TapReader = { events: [], retry: undefined, stop: () => controller.abort() };
  const parser = createParser({
    onEvent: (event) => reader.events.push(JSON.parse(event.data) as TapEvent),
    onRetry: (ms) => (reader.retry = ms),
  });
  const body = response.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await body.read();
        if (done) return;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted by stop()
    }
  })();
  return reader;
}

/**
 * Subscribes to `/api/tap` of the server on `port` from `localAddress` (a student, in classroom
 * mode, is told by its address) with `headers` (the presenter's cookie or token); resolves once
 * its response head has arrived.
 */
export function subscribeTapFrom(port: number, localAddress: string, headers: Record<string, string> = {}): Promise<TapReader> {
  return new Promise((resolve, reject) => {
    const events: TapEvent[] = [];
    const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data) as TapEvent) });
    const req = http.get({ host: '127.0.0.1', port, path: tapPath, localAddress, headers, agent: false }, (res) => {
      expect(res.statusCode).toBe(200);
      res.setEncoding('utf8');
      res.on('data', (text: string) => parser.feed(text));
      res.on('error', () => {});
      resolve({ events, retry: undefined, stop: () => req.destroy() });
    });
    req.on('error', reject);
  });
}
