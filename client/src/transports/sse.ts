import { settingsQuery } from '../run/settings.ts';
import { pageOnHttps, secureOrigin, secureOriginProblem } from '../run/secureOrigin.ts';
import type { LaneClient } from './types.ts';

export interface SseClientOptions {
  /**
   * Close after this many lost connections with no token between them. EventSource alone would
   * try forever; an app gives up somewhere (the idle-timeout lesson's lane after 3). @default never
   */
  giveUpAfter?: number;
}

/** How long the page waits, after the done event, for the server to end the response before it closes anyway. */
const endWaitMs = 500;

/** The browser's own EventSource: GET only, no custom headers, reconnects by itself. */
export const sseClient =
  (path = '/api/stream/sse', extra: Record<string, string> = {}, { giveUpAfter = Infinity }: SseClientOptions = {}): LaneClient =>
  (settings, run, emit, signal) =>
    new Promise((resolve) => {
      let lost = 0;
      emit({ kind: 'request' });
      const query = settingsQuery(settings, run);
      for (const [key, value] of Object.entries(extra)) query.set(key, value);
      const source = new EventSource(`${path}?${query}`);
      let settled = false;
      /** The done event came: the page closes once the server has ended the response. */
      let done = false;
      let endWait: ReturnType<typeof setTimeout> | undefined;
      const finish = (): void => {
        settled = true;
        clearTimeout(endWait);
        source.close();
        resolve();
      };
      source.onopen = () => emit({ kind: 'open' });
      source.addEventListener('token', (e) => {
        const { index, text } = JSON.parse(e.data) as { index: number; text: string };
        lost = 0;
        emit({ kind: 'token', index, text });
      });
      // Without close(), EventSource would reconnect when the server ends the response. It is
      // called when that end comes (the error event below, fired before EventSource would
      // reconnect), not at once: on HTTP/2, close() resets the stream (RST_STREAM), and the
      // server's last frame, the one flagged END_STREAM, might never be sent.
      source.addEventListener('done', () => {
        emit({ kind: 'done' });
        done = true;
        endWait = setTimeout(finish, endWaitMs);
      });
      source.onerror = (e) => {
        if (done) return finish();
        // A server's `event: error` comes to this same handler, as a MessageEvent with data; a
        // connection problem comes as a plain Event. Without close(), EventSource would reconnect
        // after the server ends the response, and be told the same error again.
        if (e instanceof MessageEvent) {
          emit({ kind: 'error', detail: (JSON.parse(String(e.data)) as { detail?: string }).detail ?? String(e.data) });
          finish();
        } else if (source.readyState === EventSource.CONNECTING && ++lost >= giveUpAfter) {
          emit({ kind: 'error', detail: `gave up after ${lost} connections lost with no token` });
          finish();
        } else if (source.readyState === EventSource.CONNECTING) {
          emit({ kind: 'reconnecting', detail: 'connection lost; EventSource reconnects with Last-Event-ID' });
        } else {
          emit({ kind: 'error', detail: 'the stream failed' });
          finish();
        }
      };
      signal.addEventListener(
        'abort',
        () => {
          if (settled) return;
          if (done) return finish();
          // "Stop generating": close() ends the connection, and the server sees it close.
          emit({ kind: 'done', detail: 'stopped: the page called EventSource.close()' });
          finish();
        },
        { once: true },
      );
    });

/**
 * The same EventSource on the server's HTTPS origin (HTTP/2 inside TLS): a cross-origin stream
 * for a page on plain HTTP (the server answers it with CORS). When the browser cannot reach that
 * origin (its certificate not trusted yet) or the server has none, the lane says why and stops.
 */
export const secureSseClient =
  (path = '/api/stream/sse'): LaneClient =>
  async (settings, run, emit, signal) => {
    if (location.protocol === 'https:') {
      emit({ kind: 'request' });
      emit({ kind: 'error', detail: pageOnHttps });
      return;
    }
    const found = await secureOrigin();
    if (found.state !== 'ok') {
      emit({ kind: 'request' });
      emit({ kind: 'error', detail: secureOriginProblem(found) });
      return;
    }
    return sseClient(`${found.origin}${path}`)(settings, run, emit, signal);
  };
