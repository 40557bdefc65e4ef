import { postSseClient } from './postSse.ts';
import { replyBounds } from '../../../shared/replySettings.ts';

/**
 * Anthropic's Messages API: named events (`event: content_block_delta`) whose JSON repeats the
 * name as `type`; the text is in `delta.text`, and `event: message_stop` ends the stream.
 * https://docs.anthropic.com/en/api/messages-streaming
 */
export const anthropicClient = postSseClient({
  path: '/v1/messages',
  headers: { 'x-api-key': 'sk-ant-streamscope-demo', 'anthropic-version': '2023-06-01' },
  body: ({ text, prompt, model }) => ({
    // An upstream model answers the text (or the prompt's question); ours repeats the text (echo) or answers the prompt.
    model: model ?? (text ? 'echo' : 'streamscope'),
    // Required by the API. The most tokens a reply here can have (one per character of the
    // longest `text`), so this lane is never cut short.
    max_tokens: replyBounds.textMax,
    messages: [{ role: 'user', content: text || prompt }],
    ...(text ? {} : { prompt }),
  }),
  ends: (event) => event.event === 'message_stop',
  // A failure after the 200: `event: error` (the anthropic SDK throws an APIError on it).
  errorOf: (event) => {
    if (event.event !== 'error') return undefined;
    const { error } = JSON.parse(event.data) as { error?: { type?: string; message?: string } };
    return `${error?.type ?? 'error'}: ${error?.message ?? ''}`;
  },
  textOf: (event) => {
    if (event.event !== 'content_block_delta') return undefined;
    const { delta } = JSON.parse(event.data) as { delta: { type: string; text?: string } };
    return delta.type === 'text_delta' ? delta.text : undefined;
  },
});
