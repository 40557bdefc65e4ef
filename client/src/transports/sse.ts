import { settingsQuery } from '../run/settings.ts';
import type { LaneClient } from './types.ts';

/** The browser's own EventSource: GET only, no custom headers, reconnects by itself. */
export const sseClient = (path = '/api/stream/sse', extra: Record<string, string> = {}): LaneClient => (settings, run, emit, signal) =>
  new Promise((resolve) => {
    emit({ kind: 'request' });
    const query = settingsQuery(settings, run);
    for (const [key, value] of Object.entries(extra)) query.set(key, value);
    const source = new EventSource(`${path}?${query}`);
    const finish = (): void => {
      source.close();
      resolve();
    };
    source.onopen = () => emit({ kind: 'open' });
    source.addEventListener('token', (e) => {
      const { index, text } = JSON.parse(e.data) as { index: number; text: string };
      emit({ kind: 'token', index, text });
    });
    // Without close() here, EventSource would reconnect when the server ends the response.
    source.addEventListener('done', () => {
      emit({ kind: 'done' });
      finish();
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CONNECTING) {
        emit({ kind: 'reconnecting', detail: 'connection lost; EventSource reconnects with Last-Event-ID' });
      } else {
        emit({ kind: 'error', detail: 'the stream failed' });
        finish();
      }
    };
    signal.addEventListener('abort', finish, { once: true });
  });
