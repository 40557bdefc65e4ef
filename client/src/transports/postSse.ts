import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Settings } from '../run/settings.ts';
import type { LaneClient } from './types.ts';
import { feedParser } from './feedParser.ts';

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
  /** The error an event reports, if it is one: after the `200`, an API can only fail inside the stream. */
  errorOf(event: EventSourceMessage): string | undefined;
}

/**
 * What LLM apps really do: POST the conversation with fetch (EventSource can neither POST nor
 * set headers) and parse the SSE body with a stream parser, fed whatever pieces arrive.
 */
export const postSseClient =
  (api: ChatStreamApi): LaneClient =>
  async (settings, run, emit, signal) => {
    const { tps, ttft, jitter, seed, fail, pad } = settings;
    emit({ kind: 'request' });
    let ended = false;
    try {
      // `run` rides in the query string: the wire tap files the connection before the body is read.
      const response = await fetch(`${api.path}?run=${encodeURIComponent(run)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...api.headers },
        body: JSON.stringify({
          ...api.body(settings),
          stream: true,
          tps,
          ttft,
          jitter,
          seed,
          ...(fail === undefined || fail === null ? {} : { fail }),
          ...(pad ? { pad } : {}),
        }),
        signal,
      });
      if (!response.ok || !response.body) {
        const problem = (await response.json().catch(() => ({}))) as { detail?: string };
        return emit({ kind: 'error', detail: problem.detail ?? `HTTP ${response.status}` });
      }
      emit({ kind: 'open' });
      let index = 0;
      const reader = response.body.getReader();
      const parser = createParser({
        onEvent(event) {
          if (ended) return;
          const error = api.errorOf(event);
          if (error !== undefined) {
            // What the SDKs do: stop reading and raise it.
            ended = true;
            void reader.cancel();
            return emit({ kind: 'error', detail: error });
          }
          if (api.ends(event)) {
            ended = true;
            return emit({ kind: 'done' });
          }
          const text = api.textOf(event);
          if (text) emit({ kind: 'token', index: index++, text });
        },
      });
      await feedParser(reader, parser);
      // A stream that just ends, with no end event, was cut short: say so instead of showing half a reply as whole.
      if (!ended) emit({ kind: 'error', detail: 'the stream ended before its end event' });
    } catch (error) {
      // "Stop generating": aborting the fetch closes the connection, and the server sees it close.
      if (signal.aborted) {
        if (!ended) emit({ kind: 'done', detail: 'stopped: the page aborted the fetch' });
      } else if (!ended) emit({ kind: 'error', detail: String(error) });
    }
  };
