import type { Request } from 'express';
import { Problem } from '../problem.ts';
import { prompts } from '../model/prompts.ts';
import { parseSettings, upstreamModelPattern, type ReplySettings } from '../model/settings.ts';
import { tokenize } from '../model/tokenize.ts';

/**
 * What the two LLM-style APIs (openai.ts, anthropic.ts) read the same way: a JSON body with
 * `model`, `messages` and `stream`, Streamscope's pacing in the body or the query string, and
 * the same two models behind both.
 */

/** `streamscope` answers from the scripted replies; `echo` repeats the last user message. */
export const models = ['streamscope', 'echo'] as const;

/** Streamscope's own settings, allowed in the body as well as in the query string. */
const settingFields = ['tps', 'ttft', 'jitter', 'seed', 'run', 'prompt', 'fail', 'temperature', 'pad'];

export interface ChatRequest {
  model: string;
  stream: boolean;
  settings: ReplySettings;
  /** Tokens of every message, for the `usage` both APIs report. */
  promptTokens: number;
  /** The whole body, for the fields only one API reads. */
  fields: Record<string, unknown>;
}

/**
 * Checks the body and turns it into reply settings. `accepted` lists the API's other body
 * fields (read by the caller, or accepted and ignored); any field not known is a 400 that names it.
 */
export function parseChatRequest(req: Request, accepted: readonly string[]): ChatRequest {
  if (!req.is('application/json')) throw new Problem(415, 'Send the request body as JSON with "Content-Type: application/json".', 'body');
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new Problem(400, 'The request body must be a JSON object with "model" and "messages".', 'body');
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!['model', 'messages', 'stream', ...accepted, ...settingFields].includes(key)) {
      throw new Problem(400, `Unknown field "${key}" in the request body.`, key);
    }
  }
  const model = fields.model;
  if (typeof model !== 'string') throw new Problem(400, `Field "model" is required: one of ${models.join(', ')}.`, 'model');
  const upstream = upstreamModelPattern.test(model);
  if (!(models as readonly string[]).includes(model) && !upstream)
    throw new Problem(
      404,
      `Unknown model "${model}". GET /v1/models lists them: ${models.join(', ')} (and upstream/<id> when an upstream is configured).`,
      'model',
    );
  if (fields.stream !== undefined && typeof fields.stream !== 'boolean') throw new Problem(400, 'Field "stream" must be true or false.', 'stream');
  const messages = parseMessages(fields.messages);
  const last = messages.findLast((m) => m.role === 'user')?.content ?? '';

  const query = req.query as Record<string, unknown>;
  const fromBody = Object.fromEntries(settingFields.filter((k) => fields[k] !== undefined).map((k) => [k, fields[k]]));
  const input: Record<string, unknown> = { ...query, ...fromBody };
  if (upstream) {
    // A real model answers the conversation's last user message (or the scripted prompt's question).
    input.model = model;
    if (input.prompt === undefined) {
      if (last === '') throw new Problem(400, `Model "${model}" needs a user message with some text.`, 'messages');
      input.text = last;
    }
  } else if (model === 'echo') {
    if (input.prompt !== undefined) throw new Problem(400, 'Model "echo" repeats the last user message; it takes no "prompt".', 'prompt');
    if (last === '') throw new Problem(400, 'Model "echo" needs a user message with some text to repeat.', 'messages');
    input.text = last;
  } else if (input.prompt === undefined) {
    input.prompt = promptFor(last);
  }
  return {
    model,
    stream: fields.stream === true,
    settings: echoSettings(input),
    promptTokens: messages.reduce((n, m) => n + tokenize(m.content).length, 0),
    fields,
  };
}

/** Settings for the reply; for `echo`, a too-long text is the user's message, so say that. */
function echoSettings(input: Record<string, unknown>): ReplySettings {
  try {
    return parseSettings(input);
  } catch (error) {
    if (error instanceof Problem && error.param === 'text' && error.status === 413) {
      throw new Problem(413, error.detail.replace('Parameter "text" is', 'The last user message is'), 'messages');
    }
    throw error;
  }
}

interface Message {
  role: string;
  content: string;
}

function parseMessages(value: unknown): Message[] {
  if (!Array.isArray(value) || value.length === 0) throw new Problem(400, 'Field "messages" must be a non-empty array of {role, content}.', 'messages');
  return value.map((m: unknown, i) => {
    const message = m as { role?: unknown; content?: unknown } | null;
    if (typeof message !== 'object' || message === null || typeof message.role !== 'string') {
      throw new Problem(400, `messages[${i}] must be an object with a string "role".`, 'messages');
    }
    return { role: message.role, content: contentText(message.content, `messages[${i}].content`) };
  });
}

/**
 * Content is a string or an array of parts (OpenAI's `{type:"text",text}`, Anthropic's content
 * blocks alike); only text parts matter here. Also reads Anthropic's top-level `system`.
 */
export function contentText(content: unknown, field: string): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => (typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string' ? part.text : ''))
      .join('');
  }
  throw new Problem(400, `${field} must be a string or an array of content parts.`, field.split(/[.[]/)[0]);
}

/**
 * Model `streamscope` answers from the scripted replies: the one whose prompt (or id) the user
 * typed, otherwise one picked by a stable hash of the message, so the same question always
 * gets the same answer.
 */
function promptFor(message: string): string {
  const wanted = message.trim().toLowerCase();
  const match = prompts.find((p) => p.id === wanted || p.prompt.trim().toLowerCase() === wanted);
  if (match) return match.id;
  let hash = 0;
  for (const ch of wanted) hash = (Math.imul(hash, 31) + (ch.codePointAt(0) ?? 0)) >>> 0;
  return prompts[hash % prompts.length]?.id ?? prompts[0]!.id;
}
