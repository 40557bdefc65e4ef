/**
 * Recognizes the LLM token a JSON message carries, on every transport, so leaves can say
 * `token: n` and lanes can line tokens up across transports.
 */

export interface Token {
  index: number;
  text: string;
}

/** Numbers OpenAI content deltas in order; one per response stream. */
export interface TokenCounter {
  next: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `choices[0][key]` of an OpenAI object, if it is a record. */
function firstChoice(v: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const choices = v['choices'];
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  const inner = isRecord(first) ? first[key] : undefined;
  return isRecord(inner) ? inner : undefined;
}

/**
 * The token in a parsed JSON message:
 * - Streamscope's own `{"index":n,"text":"…"}` (SSE) and `{"type":"token","index":n,"text":"…"}`
 *   (WebSocket) give token n;
 * - an OpenAI `chat.completion.chunk` with a non-empty `choices[0].delta.content` gives the next
 *   number from `counter` (the first content delta is token 0; role-only and empty deltas are
 *   not tokens). https://platform.openai.com/docs/api-reference/chat-streaming
 * - an Anthropic `content_block_delta` with a non-empty `text_delta` gives the next number from
 *   `counter` too. https://docs.anthropic.com/en/api/messages-streaming
 */
export function tokenOf(value: unknown, counter: TokenCounter): Token | undefined {
  if (!isRecord(value)) return undefined;
  const { index, text, type } = value;
  if (typeof index === 'number' && typeof text === 'string' && (type === undefined || type === 'token')) {
    return { index, text };
  }
  if (value['object'] === 'chat.completion.chunk') {
    const content = firstChoice(value, 'delta')?.['content'];
    if (typeof content === 'string' && content !== '') return { index: counter.next++, text: content };
  }
  if (type === 'content_block_delta') {
    const delta = value['delta'];
    if (isRecord(delta) && delta['type'] === 'text_delta' && typeof delta['text'] === 'string' && delta['text'] !== '')
      return { index: counter.next++, text: delta['text'] };
  }
  return undefined;
}

/** The reply text of a whole, non-streamed JSON reply: its `text`, or OpenAI's `choices[0].message.content`. */
export function replyTextOf(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value['text'] === 'string') return value['text'];
  const content = firstChoice(value, 'message')?.['content'];
  return typeof content === 'string' ? content : undefined;
}

/** A word naming a JSON message in labels: its `type`, or its OpenAI `object`. */
export function jsonName(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const name = value['type'] ?? value['object'];
  return typeof name === 'string' ? name : undefined;
}
