import { createParser } from 'eventsource-parser';
import type { LaneClient } from './types.ts';

/**
 * What LLM apps really do: POST the conversation with fetch (EventSource can neither POST nor
 * set headers) and parse the SSE body with a stream parser.
 */
export const openaiClient: LaneClient = async (settings, run, emit, signal) => {
  const { text, prompt, tps, ttft, jitter, seed } = settings;
  const body = text
    ? { model: 'echo', messages: [{ role: 'user', content: text }] }
    : { model: 'streamscope', messages: [{ role: 'user', content: prompt }], prompt };
  emit({ kind: 'request' });
  try {
    // `run` rides in the query string: the wire tap files the connection before the body is read.
    const response = await fetch(`/v1/chat/completions?run=${encodeURIComponent(run)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer sk-streamscope-demo' },
      body: JSON.stringify({ ...body, stream: true, tps, ttft, jitter, seed }),
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
        if (event.data === '[DONE]') return emit({ kind: 'done' });
        const chunk = JSON.parse(event.data) as { choices: { delta: { content?: string } }[] };
        const content = chunk.choices[0]?.delta.content;
        if (content) emit({ kind: 'token', index: index++, text: content });
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
