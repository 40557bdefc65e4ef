import { settingsQuery } from '../run/settings.ts';
import type { LaneClient } from './types.ts';

/** A browser WebSocket: one `start` message up, `token` messages down. */
export const websocketClient =
  (path = '/api/stream/ws'): LaneClient =>
  (settings, run, emit, signal) =>
    new Promise((resolve) => {
      const url = new URL(`${path}?run=${encodeURIComponent(run)}`, location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      emit({ kind: 'request' });
      const ws = new WebSocket(url);
      let done = false;
      ws.onopen = () => {
        emit({ kind: 'open' });
        const { text, prompt, tps, ttft, jitter, seed, fail, model, pad } = settings;
        ws.send(
          JSON.stringify({
            type: 'start',
            ...(text ? { text } : { prompt }),
            tps,
            ttft,
            jitter,
            seed,
            ...(fail === undefined || fail === null ? {} : { fail }),
            ...(model ? { model } : {}),
            ...(pad ? { pad } : {}),
          }),
        );
        emit({ kind: 'sent', detail: 'start' });
      };
      ws.onmessage = (e) => {
        // Stopped: tokens already on their way are dropped, as a chat app would.
        if (done) return;
        const message = JSON.parse(String(e.data)) as { type: string; index?: number; text?: string; detail?: string };
        if (message.type === 'token') emit({ kind: 'token', index: message.index, text: message.text });
        else if (message.type === 'done') {
          done = true;
          emit({ kind: 'done' });
        } else if (message.type === 'error') emit({ kind: 'error', detail: message.detail });
      };
      ws.onclose = (e) => {
        // Nothing reconnects a WebSocket: the app would have to build that itself.
        if (!done && !signal.aborted) emit({ kind: 'error', detail: `closed with code ${e.code}${e.reason ? `: ${e.reason}` : ''}` });
        resolve();
      };
      signal.addEventListener(
        'abort',
        () => {
          if (done) return;
          done = true;
          if (ws.readyState === WebSocket.OPEN) {
            // "Stop generating" on a WebSocket is a message of the app's own protocol; the server
            // stops the reply and closes the connection itself.
            ws.send(JSON.stringify({ type: 'stop' }));
            emit({ kind: 'sent', detail: 'stop' });
            emit({ kind: 'done', detail: 'stopped: the page sent {"type":"stop"}' });
          } else ws.close(1000, 'stopped');
        },
        { once: true },
      );
    });
