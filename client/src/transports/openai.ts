import { postSseClient } from './postSse.ts';

/**
 * OpenAI's chat completions: each token is a `chat.completion.chunk` in a `data:` line, and the
 * stream ends with `data: [DONE]`. https://platform.openai.com/docs/api-reference/chat-streaming
 */
export const openaiClient = postSseClient({
  path: '/v1/chat/completions',
  headers: { Authorization: 'Bearer sk-streamscope-demo' },
  body: ({ text, prompt, model }) =>
    text
      ? { model: model ?? 'echo', messages: [{ role: 'user', content: text }] }
      : { model: model ?? 'streamscope', messages: [{ role: 'user', content: prompt }], prompt },
  ends: (event) => event.data === '[DONE]',
  // A failure after the 200: `data: {"error":{…}}` where a chunk would be (the openai SDK throws an APIError on it).
  errorOf: (event) => {
    if (!event.data.startsWith('{')) return undefined;
    const { error } = JSON.parse(event.data) as { error?: { type?: string; message?: string } };
    return error ? `${error.type ?? 'error'}: ${error.message ?? ''}` : undefined;
  },
  textOf: (event) => (JSON.parse(event.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content,
});
