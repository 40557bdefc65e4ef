import { settingsQuery } from '../run/settings.ts';
import type { LaneClient } from './types.ts';

/** A plain fetch of the buffered endpoint: nothing to show until the whole body is in. */
export const bufferedClient: LaneClient = async (settings, run, emit, signal) => {
  emit({ kind: 'request' });
  try {
    const response = await fetch(`/api/stream/http?${settingsQuery(settings, run)}`, { signal });
    emit({ kind: 'open' });
    const body = (await response.json()) as { tokens?: string[]; detail?: string };
    if (!response.ok || !body.tokens) return emit({ kind: 'error', detail: body.detail ?? `HTTP ${response.status}` });
    body.tokens.forEach((text, index) => emit({ kind: 'token', index, text }));
    emit({ kind: 'done' });
  } catch (error) {
    if (!signal.aborted) emit({ kind: 'error', detail: String(error) });
  }
};
