import { settingsQuery, type Settings } from '../run/settings.ts';
import type { LaneClient } from './types.ts';

/**
 * The clients of the "when a WebSocket wins" lab (`server/labs/duplex/`), written the way an app
 * would: stopping a reply mid-way, and many small messages both ways.
 */

/** What the page "types" when the learner gave no text of their own: one message a word. */
export const typedText = 'Every word you type goes up as a message of its own and comes straight back down, like a live transcript.';

/** The words of the text the chat lanes send up, each with the space after it (the last without). */
export function typedWords(settings: Pick<Settings, 'text'>): string[] {
  return (settings.text || typedText).split(/(?<=\s)(?=\S)/u).slice(0, 500);
}

function socketUrl(path: string, run: string): URL {
  const url = new URL(`${path}?run=${encodeURIComponent(run)}`, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}

/** Resolves at `start + ms` (tab clock), or at once if that has passed or the run was stopped. */
function until(start: number, ms: number, signal: AbortSignal): Promise<void> {
  const wait = start + ms - performance.now();
  if (wait <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, wait);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * A WebSocket reply the page interrupts: after `stopAfter` tokens it sends `{"type":"stop"}` up
 * the same connection, and the server ends the reply and closes with 1000 "stopped".
 */
export const stopWebSocketClient =
  (path: string, stopAfter: number): LaneClient =>
  (settings, run, emit, signal) =>
    new Promise((resolve) => {
      emit({ kind: 'request' });
      const ws = new WebSocket(socketUrl(path, run));
      let tokens = 0;
      ws.onopen = () => {
        emit({ kind: 'open' });
        const { text, prompt, tps, ttft, jitter, seed } = settings;
        ws.send(JSON.stringify({ type: 'start', ...(text ? { text } : { prompt }), tps, ttft, jitter, seed }));
        emit({ kind: 'sent', detail: 'start' });
      };
      ws.onmessage = (e) => {
        const message = JSON.parse(String(e.data)) as { type: string; index?: number; text?: string; detail?: string };
        if (message.type === 'token') {
          emit({ kind: 'token', index: message.index, text: message.text });
          if (++tokens === stopAfter) {
            ws.send('{"type":"stop"}');
            emit({ kind: 'sent', detail: 'stop' });
          }
        } else if (message.type === 'done') emit({ kind: 'done' });
        else if (message.type === 'error') emit({ kind: 'error', detail: message.detail });
      };
      ws.onclose = (e) => {
        if (e.code === 1000 && e.reason === 'stopped') emit({ kind: 'done', detail: `stopped after ${tokens} tokens` });
        else if (e.code !== 1000 && !signal.aborted) emit({ kind: 'error', detail: `closed with code ${e.code}${e.reason ? `: ${e.reason}` : ''}` });
        resolve();
      };
      signal.addEventListener('abort', () => ws.close(1000, 'stopped'), { once: true });
    });

/**
 * An SSE reply the page interrupts: after `stopAfter` tokens it cannot say so on the stream
 * (EventSource only listens), so it POSTs to the stream's path with the stream's `run`: a second
 * request, on a connection of its own. The server ends the stream with `done` (`"stopped": true`).
 */
export const stopSseClient =
  (path: string, stopAfter: number): LaneClient =>
  (settings, run, emit, signal) =>
    new Promise((resolve) => {
      emit({ kind: 'request' });
      const source = new EventSource(`${path}?${settingsQuery(settings, run)}`);
      let tokens = 0;
      const finish = (): void => {
        source.close();
        resolve();
      };
      source.onopen = () => emit({ kind: 'open' });
      source.addEventListener('token', (e) => {
        const { index, text } = JSON.parse(e.data) as { index: number; text: string };
        emit({ kind: 'token', index, text });
        if (++tokens !== stopAfter) return;
        emit({ kind: 'sent', detail: 'stop' });
        fetch(`${path}?run=${encodeURIComponent(run)}`, { method: 'POST', signal }).then(
          (response) => response.ok || emit({ kind: 'error', detail: `the stop request got ${response.status}` }),
          () => undefined,
        );
      });
      source.addEventListener('done', (e) => {
        const summary = JSON.parse(e.data) as { stopped?: boolean; sent?: number };
        emit({ kind: 'done', detail: summary.stopped ? `stopped after ${summary.sent} tokens` : undefined });
        finish();
      });
      source.onerror = () => {
        emit({ kind: 'error', detail: 'the stream failed' });
        finish();
      };
      signal.addEventListener('abort', finish, { once: true });
    });

/**
 * Many small messages both ways over one WebSocket: a word up every 1000/tps ms as
 * `{"type":"say","index":n,"text":"…"}`, each echoed back at once; `{"type":"end"}` at the end.
 */
export const chatWebSocketClient =
  (path: string): LaneClient =>
  (settings, run, emit, signal) =>
    new Promise((resolve) => {
      const words = typedWords(settings);
      emit({ kind: 'request' });
      const ws = new WebSocket(socketUrl(path, run));
      ws.onopen = async () => {
        emit({ kind: 'open' });
        const start = performance.now();
        for (const [index, text] of words.entries()) {
          await until(start, (index * 1000) / settings.tps, signal);
          if (ws.readyState !== WebSocket.OPEN) return;
          ws.send(JSON.stringify({ type: 'say', index, text }));
          emit({ kind: 'sent', detail: `message ${index}` });
        }
      };
      let echoed = 0;
      ws.onmessage = (e) => {
        const message = JSON.parse(String(e.data)) as { type: string; index?: number; text?: string; detail?: string };
        if (message.type === 'echo') {
          emit({ kind: 'token', index: message.index, text: message.text });
          if (++echoed === words.length) ws.send('{"type":"end"}');
        } else if (message.type === 'done') emit({ kind: 'done' });
        else if (message.type === 'error') emit({ kind: 'error', detail: message.detail });
      };
      ws.onclose = (e) => {
        if (e.code !== 1000 && !signal.aborted) emit({ kind: 'error', detail: `closed with code ${e.code}${e.reason ? `: ${e.reason}` : ''}` });
        resolve();
      };
      signal.addEventListener('abort', () => ws.close(1000, 'stopped'), { once: true });
    });

/** The same messages the HTTP way: one `POST` per word (fetch reuses the connection), its echo in the response. */
export const chatHttpClient =
  (path: string): LaneClient =>
  async (settings, run, emit, signal) => {
    const words = typedWords(settings);
    emit({ kind: 'request' });
    const start = performance.now();
    try {
      for (const [index, text] of words.entries()) {
        await until(start, (index * 1000) / settings.tps, signal);
        if (signal.aborted) return;
        emit({ kind: 'sent', detail: `message ${index}` });
        const response = await fetch(`${path}?run=${encodeURIComponent(run)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ index, text }),
          signal,
        });
        if (index === 0) emit({ kind: 'open' });
        if (!response.ok) return emit({ kind: 'error', detail: `HTTP ${response.status}` });
        const echo = (await response.json()) as { index: number; text: string };
        emit({ kind: 'token', index: echo.index, text: echo.text });
      }
      emit({ kind: 'done' });
    } catch (error) {
      if (!signal.aborted) emit({ kind: 'error', detail: String(error) });
    }
  };
