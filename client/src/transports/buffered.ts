import { settingsQuery } from '../run/settings.ts';
import type { LaneClient } from './types.ts';

/**
 * A plain fetch of the buffered endpoint: nothing to show until the whole body is in.
 * `revalidate`: then fetch it once more, as a reload would; the browser's cache sends
 * `If-None-Match` and the wire shows the server's `304 Not Modified` (the caching lab).
 */
export const bufferedClient =
  (path = '/api/stream/http', { revalidate = false } = {}): LaneClient =>
  async (settings, run, emit, signal) => {
    emit({ kind: 'request' });
    const url = `${path}?${settingsQuery(settings, run)}`;
    try {
      const response = await fetch(url, { signal });
      emit({ kind: 'open' });
      const body = (await response.json()) as { tokens?: string[]; detail?: string };
      if (!response.ok || !body.tokens) return emit({ kind: 'error', detail: body.detail ?? `HTTP ${response.status}` });
      body.tokens.forEach((text, index) => emit({ kind: 'token', index, text }));
      if (revalidate) {
        // fetch hands the page a 200 from its cache either way; only the wire shows the 304.
        const again = await fetch(url, { signal, cache: 'no-cache' });
        await again.arrayBuffer();
        emit({ kind: 'sent', detail: 'fetched again: the cache revalidated it' });
      }
      emit({ kind: 'done' });
    } catch (error) {
      if (!signal.aborted) emit({ kind: 'error', detail: String(error) });
    }
  };
