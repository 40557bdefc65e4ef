import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Settings } from '../run/settings.ts';
import type { LaneClient } from './types.ts';

/** How one LLM API frames a chat request and its streamed answer. */
export interface ChatStreamApi {
  /** The endpoint; the run id rides in its query string. */
  path: string;
  /** The API's own headers, e.g. its key (real apps send one; Streamscope ignores it). */
  headers: Record<string, string>;
  /** The request body for these settings; `stream: true` and the pacing are added. */
  body(settings: Settings): object;
  /** The token text one event carries, if it carries any. */
  textOf(event: EventSourceMessage): string | undefined;
  /** Whether this event ends the reply (OpenAI's `data: [DONE]`, Anthropic's `message_stop`). */
  ends(event: EventSourceMessage): boolean;
}

/**
 * What LLM apps really do: POST the conversation with fetch (EventSource can neither POST nor
 * set headers) and parse the SSE body with a stream parser, fed whatever pieces arrive.
 */
export const postSseClient =
  (api: ChatStreamApi): LaneClient =>
  async (settings, run, emit, signal) => {
    const { tps, ttft, jitter, seed } = settings;
    emit({ kind: 'request' });
    try {
      // `run` rides in the query string: the wire tap files the connection before the body is read.
      const response = await fetch(`${api.path}?run=${encodeURIComponent(run)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...api.headers },
        body: JSON.stringify({ ...api.body(settings), stream: true, tps, ttft, jitter, seed }),
        signal,
      });
      if (!response.ok || !response.body) {
        const problem = (await response.json().catch(() => ({}))) as { detail?: string };
        return emit({ kind: 'error', detail: problem.detail ?? `HTTP ${response.status}` });
      }
      emit({ kind: 'open' });
      let index = 0;
      const parser = createParser({
        onEvent(event) {
          if (api.ends(event)) return emit({ kind: 'done' });
          const text = api.textOf(event);
          if (text) emit({ kind: 'token', index: index++, text });
        },
      });
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch (error) {
      if (!signal.aborted) emit({ kind: 'error', detail: String(error) });
    }
  };
