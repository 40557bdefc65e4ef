import type { Request, RequestHandler } from 'express';
import { Problem } from '../problem.ts';
import { prompts } from '../model/prompts.ts';
import { parseSettings, type ReplySettings } from '../model/settings.ts';
import { paced, replyFor } from '../model/reply.ts';
import { tokenize } from '../model/tokenize.ts';
import { sseHeaders } from './sseHeaders.ts';
import { send, type TransportContext } from './transport.ts';

export const models = ['streamscope', 'echo'] as const;

/**
 * `created` is fixed, not the clock, so the same settings give the same bytes
 * (DESIGN.md, "Determinism"). Real APIs send the current Unix time here.
 */
const created = 1_700_000_000;

/** Body fields of the OpenAI API that Streamscope accepts and ignores. */
const ignoredFields = ['temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'n', 'stop', 'user', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'stream_options', 'response_format', 'metadata', 'store', 'parallel_tool_calls'];
/** Streamscope's own settings, allowed in the body as well as in the query string. */
const settingFields = ['tps', 'ttft', 'jitter', 'seed', 'run', 'prompt'];

/** `GET /v1/models` */
export const modelsRoute: RequestHandler = (_req, res) => {
  res.json({ object: 'list', data: models.map((id) => ({ id, object: 'model', created, owned_by: 'streamscope' })) });
};

/**
 * `POST /v1/chat/completions`, shaped like OpenAI's so its SDK (or a learner's own fetch code)
 * can point at Streamscope. `stream: true` answers `chat.completion.chunk` events and `[DONE]`.
 * https://platform.openai.com/docs/api-reference/chat/create
 */
export function openaiTransport(ctx: TransportContext): RequestHandler {
  return async (req, res) => {
    const request = parseRequest(req);
    const reply = replyFor(request.settings);
    const id = `chatcmpl-streamscope-${request.settings.seed}`;
    const head = (object: string) => ({ id, object, created, model: request.model });
    const usage = { prompt_tokens: request.promptTokens, completion_tokens: reply.tokens.length, total_tokens: request.promptTokens + reply.tokens.length };
    const release = ctx.limiter.acquire(req.socket.remoteAddress);
    const tokens = paced(reply);
    res.on('close', () => {
      void tokens.return();
      release();
    });

    if (!request.stream) {
      const texts: string[] = [];
      for await (const token of tokens) texts.push(token.text);
      if (res.destroyed) return;
      res.set('Cache-Control', 'no-store').json({
        ...head('chat.completion'),
        choices: [{ index: 0, message: { role: 'assistant', content: texts.join(''), refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage,
      });
      return;
    }

    const chunk = (delta: object, finish: string | null): string =>
      `data: ${JSON.stringify({ ...head('chat.completion.chunk'), choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    res.writeHead(200, sseHeaders);
    res.flushHeaders();
    await send(res, chunk({ role: 'assistant', content: '' }, null));
    for await (const token of tokens) await send(res, chunk({ content: token.text }, null));
    if (res.destroyed) return;
    await send(res, chunk({}, 'stop'));
    if (request.includeUsage) await send(res, `data: ${JSON.stringify({ ...head('chat.completion.chunk'), choices: [], usage })}\n\n`);
    await send(res, 'data: [DONE]\n\n');
    res.end();
  };
}

interface ChatRequest {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  settings: ReplySettings;
  promptTokens: number;
}

function parseRequest(req: Request): ChatRequest {
  if (!req.is('application/json')) throw new Problem(415, 'Send the request body as JSON with "Content-Type: application/json".', 'body');
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Problem(400, 'The request body must be a JSON object with "model" and "messages".', 'body');
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!['model', 'messages', 'stream', ...ignoredFields, ...settingFields].includes(key)) {
      throw new Problem(400, `Unknown field "${key}" in the request body.`, key);
    }
  }
  const model = fields.model;
  if (typeof model !== 'string') throw new Problem(400, `Field "model" is required: one of ${models.join(', ')}.`, 'model');
  if (!(models as readonly string[]).includes(model)) throw new Problem(404, `Unknown model "${model}". GET /v1/models lists them: ${models.join(', ')}.`, 'model');
  if (fields.stream !== undefined && typeof fields.stream !== 'boolean') throw new Problem(400, 'Field "stream" must be true or false.', 'stream');
  const messages = parseMessages(fields.messages);
  const last = messages.findLast((m) => m.role === 'user')?.content ?? '';

  const query = req.query as Record<string, unknown>;
  const fromBody = Object.fromEntries(settingFields.filter((k) => fields[k] !== undefined).map((k) => [k, fields[k]]));
  const input: Record<string, unknown> = { ...query, ...fromBody };
  if (model === 'echo') {
    if (input.prompt !== undefined) throw new Problem(400, 'Model "echo" repeats the last user message; it takes no "prompt".', 'prompt');
    if (last === '') throw new Problem(400, 'Model "echo" needs a user message with some text to repeat.', 'messages');
    input.text = last;
  } else if (input.prompt === undefined) {
    input.prompt = promptFor(last);
  }
  const streamOptions = fields.stream_options as { include_usage?: unknown } | undefined;
  return {
    model,
    stream: fields.stream === true,
    includeUsage: streamOptions?.include_usage === true,
    settings: echoSettings(input),
    promptTokens: messages.reduce((n, m) => n + tokenize(m.content).length, 0),
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
    return { role: message.role, content: contentText(message.content, i) };
  });
}

/** Content is a string or an array of parts; only text parts matter here. */
function contentText(content: unknown, i: number): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    return content.map((part: unknown) => (typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string' ? part.text : '')).join('');
  }
  throw new Problem(400, `messages[${i}].content must be a string or an array of content parts.`, 'messages');
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

