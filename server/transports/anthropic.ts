import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import { Problem, sendProblem, toProblem } from '../problem.ts';
import { failsAt, failureDetail, replyFor } from '../model/reply.ts';
import { tokenize } from '../model/tokenize.ts';
import { contentText, parseChatRequest } from './chatRequest.ts';
import { EventStream, sseEvent } from '../sse/eventStream.ts';
import { endedBy, failureProblem, pacedResponse, type TransportContext } from './transport.ts';

/** Body fields of the Anthropic API that Streamscope accepts; only `max_tokens` and `system` are read (`temperature` is a setting). */
const acceptedFields = ['max_tokens', 'system', 'top_p', 'top_k', 'stop_sequences', 'metadata', 'tools', 'tool_choice', 'thinking', 'service_tier'];

/**
 * `POST /v1/messages`, shaped like Anthropic's Messages API, so lesson 8 can put its event format
 * beside OpenAI's: the same model and pacing, another way to frame the same tokens. Errors keep
 * Anthropic's `{"type":"error","error":{…}}` body, so its SDK shows our detail.
 * https://docs.anthropic.com/en/api/messages
 */
export function anthropicRouter(ctx: TransportContext): Router {
  const router = express.Router();
  router.post('/messages', express.json({ limit: '1mb', type: () => true }), anthropicTransport(ctx));
  router.all('/messages', (_req, res) => {
    res.set('Allow', 'POST');
    throw new Problem(405, 'Use POST for /v1/messages.');
  });
  router.use(anthropicErrors);
  return router;
}

/** One named SSE event; Anthropic repeats the name as `type` inside the JSON. */
function event(type: string, data: object): string {
  return sseEvent({ event: type, data: { type, ...data } });
}

/**
 * The reply as a Message: `stream: true` answers `message_start`, `content_block_start`, a
 * `ping`, one `content_block_delta` per token, `content_block_stop`, `message_delta` (why it
 * stopped, how many tokens) and `message_stop`; otherwise one `message` object.
 * https://docs.anthropic.com/en/api/messages-streaming
 */
function anthropicTransport(ctx: TransportContext): RequestHandler {
  return async (req, res) => {
    const request = parseChatRequest(req, acceptedFields);
    const maxTokens = parseMaxTokens(request.fields.max_tokens);
    const inputTokens = request.promptTokens + tokenize(contentText(request.fields.system, 'system')).length;
    const { reader: tokens, id: replyId, reply } = await pacedResponse(ctx, req, res, replyFor(request.settings), 'anthropic');
    // Like the real API, max_tokens cuts the reply short and says so in stop_reason. An upstream
    // model's reply is counted as it comes, so these are asked when they are needed.
    const outputTokens = (): number => Math.min(reply.tokens.length, maxTokens);
    // The model fails before max_tokens is reached (the simulated `fail` setting, or the upstream's failure).
    const failed = (): boolean => failsAt(reply) !== null && failsAt(reply)! < outputTokens() + (reply.upstream ? 1 : 0);
    const stopReason = (): string => (outputTokens() < reply.tokens.length ? 'max_tokens' : 'end_turn');
    // The message's id names its reply (same settings, same id, same bytes), so `/api/replies/:id` finds it.
    const message = { id: `msg_${replyId}`, type: 'message', role: 'assistant', model: request.model };

    if (!request.stream) {
      const texts: string[] = [];
      for await (const token of tokens) {
        if (texts.push(token.text) === maxTokens) {
          if (maxTokens < reply.tokens.length || !reply.upstream?.finished) endedBy(res, 'max tokens');
          break;
        }
      }
      if (res.destroyed) return;
      // Nothing is sent yet: the status can still say it, as Anthropic's 529 overloaded_error.
      if (failed()) throw reply.upstream ? failureProblem(reply) : new Problem(529, 'Overloaded');
      res.set('Cache-Control', 'no-store').json({
        ...message,
        content: [{ type: 'text', text: texts.join('') }],
        stop_reason: stopReason(),
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: outputTokens() },
      });
      return;
    }

    const stream = new EventStream(res, { pad: reply.settings.pad });
    await stream.send(
      event('message_start', {
        message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 0 } },
      }),
    );
    await stream.send(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    await stream.send(event('ping', {}));
    let sent = 0;
    for await (const token of tokens) {
      await stream.sendToken(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: token.text } }));
      if (++sent === maxTokens) {
        if (maxTokens < reply.tokens.length || !reply.upstream?.finished) endedBy(res, 'max tokens');
        break;
      }
    }
    if (res.destroyed) return;
    if (failed()) {
      const upstream = reply.upstream?.error;
      if (upstream) {
        // The upstream's own failure, named as the upstream's, in Anthropic's error event.
        await stream.send(event('error', { error: { type: upstream.type ?? 'api_error', message: failureDetail(reply) } }));
        stream.end();
        return;
      }
      // After the 200, Anthropic reports a failure as an `error` event and ends the stream; its SDK
      // throws an APIError when it reads one. https://docs.anthropic.com/en/api/messages-streaming#error-events
      await stream.send(event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
      stream.end();
      return;
    }
    await stream.send(event('content_block_stop', { index: 0 }));
    await stream.send(event('message_delta', { delta: { stop_reason: stopReason(), stop_sequence: null }, usage: { output_tokens: outputTokens() } }));
    await stream.send(event('message_stop', {}));
    stream.end();
  };
}

/** Required, as in the real API: a positive whole number. */
function parseMaxTokens(value: unknown): number {
  if (value === undefined) throw new Problem(400, 'Field "max_tokens" is required: the most tokens the reply may have, e.g. 1024.', 'max_tokens');
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new Problem(400, `Field "max_tokens" must be a whole number of at least 1; got ${JSON.stringify(value)}.`, 'max_tokens');
  }
  return value;
}

/** Anthropic's error types by status. https://docs.anthropic.com/en/api/errors */
const errorTypes: Record<number, string> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

/**
 * Still `application/problem+json` with `title`, `status` and `detail`, like every error here, but
 * `type` is Anthropic's `"error"` (a relative URI reference, where problem+json has `about:blank`)
 * and `error.message` carries the detail, which is what Anthropic's SDK shows.
 */
const anthropicErrors: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const problem = toProblem(err);
  const type = errorTypes[problem.status] ?? (problem.status >= 500 ? 'api_error' : 'invalid_request_error');
  sendProblem(res, problem, { ...problem.toJSON(), type: 'error', error: { type, message: problem.detail } });
};
