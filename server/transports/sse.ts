import type { Request, RequestHandler, Response } from 'express';
import { Problem } from '../problem.ts';
import { parseSettings } from '../model/settings.ts';
import { failsAt, failureDetail, replyFor, summarize, type Reply } from '../model/reply.ts';
import type { Token } from '../model/pacedTokens.ts';
import { EventStream, lastEventId as lastEventIdHeader, responseSink, sseEvent, type EventSink } from '../sse/eventStream.ts';
import { endedBy, pacedResponse, type TransportContext } from './transport.ts';

export { responseSink, writableSink, type EventSink } from '../sse/eventStream.ts';

/**
 * One token as one SSE event. The text travels JSON-encoded: a raw CR or LF in `data:` would
 * end the field, and a blank line would end the event.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export function sseTokenEvent(token: Pick<Token, 'index' | 'text'>): string {
  return sseEvent({ id: token.index, event: 'token', data: { index: token.index, text: token.text } });
}

export function sseDoneEvent(summary: object): string {
  return sseEvent({ event: 'done', data: summary });
}

/**
 * The model failed after the `200` went out: the status line cannot say so any more, so an event
 * does. No `id:`, so a resume asks again from the last token. (EventSource hands a named `error`
 * event to the same `onerror` handler as a lost connection: the page tells them apart by `data`.)
 */
export function sseErrorEvent(tokens: number, detail: string): string {
  return sseEvent({ event: 'error', data: { tokens, detail } });
}

export interface StreamOptions {
  /** Cut the connection (no terminating chunk) after this many tokens; `null`: never. */
  dropAfter?: number | null;
  /** ms of quiet before a `: keep-alive` comment; 0 sends none. @default ctx.heartbeatMs */
  heartbeatMs?: number;
  /**
   * Ends the reply early when it aborts (a stop that came in another request): no more tokens,
   * then the done event, with `"stopped": true` and the tokens this response sent.
   */
  stop?: AbortSignal;
}

/**
 * Bounds of the `heartbeat` query parameter (ms of quiet before a `: keep-alive` comment).
 * 0 turns heartbeats off (the idle-timeout lesson races a stream without them); below 100 ms
 * they would be noise, not a heartbeat.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#authoring-notes
 */
export const heartbeatBounds = { min: 100, max: 60_000 } as const;

/** The `heartbeat` parameter: 0 (none) or ms from 100 to 60,000; `fallback` when absent. A bad value is a 400 naming it. */
export function heartbeatParam(query: Record<string, unknown>, fallback: number): number {
  const value = query.heartbeat;
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (n === 0 || (Number.isSafeInteger(n) && n >= heartbeatBounds.min && n <= heartbeatBounds.max)) return n;
  throw new Problem(
    400,
    `Parameter "heartbeat" must be 0 (no keep-alive comments) or a whole number of ms from ${heartbeatBounds.min} to ${heartbeatBounds.max}; got ${JSON.stringify(value)}.`,
    'heartbeat',
  );
}

/**
 * The reply as Server-Sent Events: the head, a `retry:` hint, one event per token (a `:` comment
 * while quiet), a `done` event. Resumes after `Last-Event-ID`. Written through `sink`, so a lab
 * can put a fault between the events and the socket.
 */
export async function streamSse(
  req: Request,
  res: Response,
  ctx: TransportContext,
  reply: Reply,
  sink: EventSink,
  { dropAfter = null, heartbeatMs = ctx.heartbeatMs, stop }: StreamOptions = {},
): Promise<void> {
  const from = lastEventId(req, reply.tokens.length) + 1;
  const tokens = pacedResponse(ctx, req, res, reply, 'sse', from);
  stop?.addEventListener('abort', () => void tokens.return(), { once: true });

  const stream = new EventStream(res, { retryMs: ctx.retryMs, keepAlive: { ms: heartbeatMs }, sink });
  await stream.opened;
  let sent = 0;
  for await (const token of tokens) {
    await stream.send(sseTokenEvent(token));
    if (++sent === dropAfter) {
      // The token is out (the sink resolved once it was flushed): now the connection dies the
      // way a crashed server's or a broken link's does, with no terminating chunk.
      stream.stopKeepAlive();
      if (token.index + 1 < reply.tokens.length) endedBy(res, 'cut');
      res.destroy();
      return;
    }
  }
  stream.stopKeepAlive();
  if (res.destroyed) return;
  const failed = failsAt(reply);
  const summary = stop?.aborted ? { ...summarize(reply), stopped: true, sent } : summarize(reply);
  await stream.send(failed === null ? sseDoneEvent(summary) : sseErrorEvent(failed, failureDetail(reply)));
  stream.end();
}

/**
 * `GET /api/stream/sse`: the reply as Server-Sent Events. A reconnect that sends
 * `Last-Event-ID: n` (EventSource does so on its own) resumes with token n+1. `heartbeat=ms`
 * sets the quiet before a `: keep-alive` comment (0: none).
 */
export function sseTransport(ctx: TransportContext): RequestHandler {
  return (req, res) => {
    const reply = replyFor(parseSettings(req.query, ['heartbeat']));
    const heartbeatMs = heartbeatParam(req.query, ctx.heartbeatMs);
    return streamSse(req, res, ctx, reply, responseSink(res), { heartbeatMs });
  };
}

/** The index of the last event the client has, from the header EventSource sends; -1 if none. */
export function lastEventId(req: Request, count: number): number {
  return lastEventIdHeader(req.headers, count) ?? -1;
}
