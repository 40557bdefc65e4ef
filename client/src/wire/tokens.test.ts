import { describe, expect, test } from 'vitest';
import { tokenOf } from './tokens.ts';

describe('tokenOf: the token a JSON message carries, on every wire format', () => {
  const delta = (d: object) => ({ type: 'content_block_delta', index: 0, delta: d });
  test.each([
    ['Streamscope SSE', { index: 4, text: ' hi' }, { index: 4, text: ' hi' }],
    ['Streamscope WebSocket', { type: 'token', index: 4, text: ' hi' }, { index: 4, text: ' hi' }],
    ['OpenAI content delta', { object: 'chat.completion.chunk', choices: [{ delta: { content: ' hi' } }] }, { index: 7, text: ' hi' }],
    ['OpenAI role-only delta', { object: 'chat.completion.chunk', choices: [{ delta: { role: 'assistant', content: '' } }] }, undefined],
    // `index` here is the content block's, not the token's: the counter numbers the tokens.
    ['Anthropic text delta', delta({ type: 'text_delta', text: ' hi' }), { index: 7, text: ' hi' }],
    ['Anthropic empty text delta', delta({ type: 'text_delta', text: '' }), undefined],
    ['Anthropic tool input delta', delta({ type: 'input_json_delta', partial_json: '{"a"' }), undefined],
    ['Anthropic content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, undefined],
    ['Anthropic ping', { type: 'ping' }, undefined],
  ])('%s', (_name, message, expected) => {
    expect(tokenOf(message, { next: 7 })).toEqual(expected);
  });
});
