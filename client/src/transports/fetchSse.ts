import { createParser } from 'eventsource-parser';
import { settingsQuery } from '../run/settings.ts';
import type { LaneClient } from './types.ts';
import { feedParser } from './feedParser.ts';

export interface FetchSseOptions {
  /**
   * Resume after a cut, as chat products do for their fetch streams: remember the last event id
   * and ask again with a `Last-Event-ID` header (fetch can set one; EventSource sets it itself).
   * @default false (a plain fetch + parser: a cut ends the reply)
   */
  resume?: boolean;
  /** More query parameters (the faults lab's `drop`). */
  extra?: Record<string, string>;
  /** Reconnects before giving up. @default 20 */
  maxResumes?: number;
}

/**
 * An event stream read with `fetch` and a stream parser, as every LLM SDK reads one. Unlike
 * EventSource, nothing reconnects it: with `resume`, this code does, the way a product resumes
 * a reply: the stream's last `id:` goes back as `Last-Event-ID`, and the server answers from there.
 */
export const fetchSseClient =
  (path: string, { resume = false, extra = {}, maxResumes = 20 }: FetchSseOptions = {}): LaneClient =>
  async (settings, run, emit, signal) => {
    const query = settingsQuery(settings, run);
    for (const [key, value] of Object.entries(extra)) query.set(key, value);
    let lastEventId: string | undefined;
    let retryMs = 1000;
    let tokens = 0;
    emit({ kind: 'request' });
    for (let attempt = 0; ; attempt++) {
      let ended: 'done' | 'error' | undefined;
      try {
        const response = await fetch(`${path}?${query}`, { headers: lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }, signal });
        if (!response.ok || !response.body) {
          const problem = (await response.json().catch(() => ({}))) as { detail?: string };
          return emit({ kind: 'error', detail: problem.detail ?? `HTTP ${response.status}` });
        }
        emit({ kind: 'open' });
        const parser = createParser({
          onEvent(event) {
            if (event.id !== undefined) lastEventId = event.id;
            if (event.event === 'token') {
              const { index, text } = JSON.parse(event.data) as { index: number; text: string };
              tokens++;
              emit({ kind: 'token', index, text });
            } else if (event.event === 'done') {
              ended = 'done';
              emit({ kind: 'done' });
            } else if (event.event === 'error') {
              ended = 'error';
              emit({ kind: 'error', detail: (JSON.parse(event.data) as { detail?: string }).detail ?? event.data });
            }
          },
          onRetry: (ms) => (retryMs = ms),
        });
        await feedParser(response.body.getReader(), parser);
        if (ended) return;
        throw new Error('the response ended before its done event');
      } catch (error) {
        if (signal.aborted) return emit({ kind: 'done', detail: 'stopped: the page aborted the fetch' });
        if (ended) return;
        if (!resume || attempt >= maxResumes) {
          return emit({ kind: 'error', detail: `the stream broke off after ${tokens} tokens (${(error as Error).message}); nothing asks for the rest` });
        }
        emit({
          kind: 'reconnecting',
          detail: `connection lost after id ${lastEventId ?? 'none'}; the code will reconnect with Last-Event-ID: ${lastEventId ?? '(none)'}`,
        });
        const resumed = await sleep(retryMs, signal);
        if (!resumed) return emit({ kind: 'done', detail: 'stopped: the page aborted the fetch' });
      }
    }
  };

/** Waits `ms`; false if `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}
