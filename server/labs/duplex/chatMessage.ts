import { Problem } from '../../problem.ts';

/** Longest `text` of one message, in UTF-16 code units: a few words, not a document. */
export const maxText = 1000;
/** Messages one WebSocket connection may send. */
export const maxMessages = 10_000;

/** A message of the duplex lab, up: `say` carries one small piece of text; `end` ends a WebSocket session. */
export type ChatMessage = { type: 'say'; index: number; text: string } | { type: 'end' };

/**
 * Checks one message from the page: a JSON object with `type` (one of `types`; absent means
 * `say`, as in the HTTP lane, where the path says what it is), and for `say` an `index` (a
 * whole number from 0 to 9,999) and a `text` (1 to 1,000 characters). Anything else, unknown
 * fields included, is a 400 Problem that names the field.
 */
export function checkMessage(value: unknown, types: readonly ChatMessage['type'][]): ChatMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Problem(400, 'Send a JSON object: {"index": n, "text": "…"}.');
  const fields = value as Record<string, unknown>;
  const type = fields.type ?? 'say';
  if (typeof type !== 'string' || !(types as readonly string[]).includes(type)) {
    throw new Problem(400, `Field "type" must be ${types.map((t) => `"${t}"`).join(' or ')}; got ${JSON.stringify(fields.type)}.`, 'type');
  }
  const known = type === 'end' ? ['type'] : ['type', 'index', 'text'];
  for (const key of Object.keys(fields)) {
    if (!known.includes(key)) throw new Problem(400, `Unknown field "${key}". Known fields: ${known.join(', ')}.`, key);
  }
  if (type === 'end') return { type: 'end' };
  const { index, text } = fields;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= maxMessages) {
    throw new Problem(400, `Field "index" must be a whole number from 0 to ${maxMessages - 1}; got ${JSON.stringify(index)}.`, 'index');
  }
  if (typeof text !== 'string' || text.length === 0 || text.length > maxText) {
    throw new Problem(400, `Field "text" must be a string of 1 to ${maxText} characters.`, 'text');
  }
  return { type: 'say', index, text };
}
