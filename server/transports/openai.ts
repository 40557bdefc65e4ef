import type { RequestHandler } from 'express';
import { failsAt, failureDetail, replyFor } from '../model/reply.ts';
import { models, parseChatRequest } from './chatRequest.ts';
import { EventStream } from '../sse/eventStream.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { failureProblem, pacedResponse, type TransportContext } from './transport.ts';

/**
 * `created` is fixed, not the clock, so the same settings give the same bytes (README, "Using
 * the page"). Real APIs send the current Unix time here.
 */
const created = 1_700_000_000;

/** Body fields of the OpenAI API that Streamscope accepts and ignores. */
const ignoredFields = [
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'n',
  'stop',
  'user',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'stream_options',
  'response_format',
  'metadata',
  'store',
  'parallel_tool_calls',
];

/**
 * `GET /v1/models`: Streamscope's models, then the upstream's as `upstream/<id>` when one is
 * configured. An upstream that does not answer never fails the list: it lists ours, and its
 * `upstream` member says why (`error`).
 */
export function modelsRoute(upstream?: Upstream): RequestHandler {
  return async (_req, res) => {
    const ours = models.map((id) => ({ id, object: 'model', created, owned_by: 'streamscope' }));
    if (!upstream) return void res.json({ object: 'list', data: ours });
    const { ids, error } = await upstream.models();
    res.json({
      object: 'list',
      data: [...ours, ...ids.map((id) => ({ id: `upstream/${id}`, object: 'model', created, owned_by: 'upstream' }))],
      upstream: { kind: upstream.config.kind, url: upstream.config.url, models: ids.length, ...(error ? { error } : {}) },
    });
  };
}

/**
 * `POST /v1/chat/completions`, shaped like OpenAI's so its SDK (or a learner's own fetch code)
 * can point at Streamscope. `stream: true` answers `chat.completion.chunk` events and `[DONE]`.
 * https://platform.openai.com/docs/api-reference/chat/create
 */
export function openaiTransport(ctx: TransportContext): RequestHandler {
  return async (req, res) => {
    const request = parseChatRequest(req, ignoredFields);
    const { reader: tokens, id: replyId, reply } = await pacedResponse(ctx, req, res, replyFor(request.settings), 'openai');
    // The completion's id names its reply, so `/api/replies/:id` finds what an SDK saw.
    const id = `chatcmpl-${replyId}`;
    const head = (object: string) => ({ id, object, created, model: request.model });
    const usage = () => ({
      prompt_tokens: request.promptTokens,
      completion_tokens: reply.tokens.length,
      total_tokens: request.promptTokens + reply.tokens.length,
    });

    if (!request.stream) {
      const texts: string[] = [];
      for await (const token of tokens) texts.push(token.text);
      if (res.destroyed) return;
      // Nothing is sent yet: the status line can still carry the failure.
      if (failsAt(reply) !== null) throw failureProblem(reply);
      res.set('Cache-Control', 'no-store').json({
        ...head('chat.completion'),
        choices: [{ index: 0, message: { role: 'assistant', content: texts.join(''), refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: usage(),
      });
      return;
    }

    const chunk = (delta: object, finish: string | null) => ({
      data: { ...head('chat.completion.chunk'), choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] },
    });
    // Padding (`pad`) is an SSE comment, which OpenAI's SDK skips like any comment line; OpenAI's
    // own answer, a random-length `obfuscation` field in each chunk, would change the JSON.
    const stream = new EventStream(res, { pad: reply.settings.pad });
    await stream.send(chunk({ role: 'assistant', content: '' }, null));
    for await (const token of tokens) await stream.sendToken(chunk({ content: token.text }, null));
    if (res.destroyed) return;
    if (failsAt(reply) !== null) {
      // What OpenAI sends when it fails mid-stream: an `error` object where a chunk would be, then
      // the end, no `[DONE]`. Its SDK throws an APIError (with no status) when it reads one.
      await stream.send({
        data: {
          error: reply.upstream
            ? { message: failureDetail(reply), type: reply.upstream.error?.type ?? 'upstream_error', param: null, code: reply.upstream.error?.status ?? null }
            : { message: `The server had an error while processing your request. ${failureDetail(reply)}`, type: 'server_error', param: null, code: null },
        },
      });
      stream.end();
      return;
    }
    await stream.send(chunk({}, 'stop'));
    const streamOptions = request.fields.stream_options as { include_usage?: unknown } | undefined;
    if (streamOptions?.include_usage === true) await stream.send({ data: { ...head('chat.completion.chunk'), choices: [], usage: usage() } });
    await stream.send({ data: '[DONE]' });
    stream.end();
  };
}
