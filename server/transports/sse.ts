import type { Request, RequestHandler, Response } from 'express';
import { Problem } from '../problem.ts';
import { parseSettings } from '../model/settings.ts';
import { failsAt, failureDetail, replyFor, summarize, type Reply } from '../model/reply.ts';
import type { Token } from '../model/pacedTokens.ts';
import { EventStream, lastEventId as lastEventIdHeader, responseSink, sseComment, sseEvent, type EventSink } from '../sse/eventStream.ts';
import { endedBy, pacedResponse, type TransportContext } from './transport.ts';

export { responseSink, writableSink, type EventSink } from '../sse/eventStream.ts';

/**
 * One token as one SSE event. The text travels JSON-encoded: a raw CR or LF in `data:` would
 * end the field, and a blank line would end the event.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export function sseTokenEvent(token: Pick<Token, 'index' | 'text'>, draw?: number): string {
  return sseEvent({ id: eventId(token.index, draw), event: 'token', data: { index: token.index, text: token.text } });
}

/**
 * A token event's id: its index, which with the URL's settings names the reply and the offset.
 * A reply sampled at random is not named by its URL (the same URL draws new words), so its
 * events name the draw too, `<draw in base 36>:<index>`: a reconnect then finds the reply.
 */
export function eventId(index: number, draw?: number): string | number {
  return draw === undefined ? index : `${draw.toString(36)}:${index}`;
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
  const last = resumePoint(req, reply);
  const from = last.index + 1;
  const reading = await pacedResponse(ctx, req, res, reply, 'sse', from, last.draw);
  const tokens = reading.reader;
  reply = reading.reply;
  stop?.addEventListener('abort', () => void tokens.return(), { once: true });

  const stream = new EventStream(res, { retryMs: ctx.retryMs, keepAlive: { ms: heartbeatMs }, sink, pad: reply.settings.pad });
  await stream.opened;
  // The reply changed under the reconnect: the bytes say so where a reader of the wire looks.
  if (reading.seam) await stream.send(sseComment(`seam: ${reading.seam}`));
  let sent = 0;
  try {
    for await (const token of tokens) {
      await stream.sendToken(sseTokenEvent(token, reply.sample));
      if (++sent === dropAfter) {
        // The token is out (the sink resolved once it was flushed): now the connection dies the
        // way a crashed server's or a broken link's does, with no terminating chunk.
        stream.stopKeepAlive();
        if (token.index + 1 < reply.tokens.length) endedBy(res, 'cut');
        res.destroy();
        return;
      }
    }
  } catch (error) {
    // The log's store went away mid-stream: the 200 is out, so an event names the loss.
    stream.stopKeepAlive();
    if (res.destroyed) return;
    return stream.endWith(sseErrorEvent(tokens.position, error instanceof Error ? error.message : String(error)));
  }
  stream.stopKeepAlive();
  if (res.destroyed) return;
  const failed = failsAt(reply);
  const summary = stop?.aborted ? { ...summarize(reply), stopped: true, sent } : summarize(reply);
  stream.endWith(failed === null ? sseDoneEvent(summary) : sseErrorEvent(failed, failureDetail(reply)));
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

/**
 * Where a reconnect resumes: the index of the last event the client has (-1 if none), and the
 * sampled draw its id names. `Last-Event-ID` is `<index>`, or `<draw>:<index>` for a reply
 * sampled at random (see `eventId`); an index past the reply's end, a draw on a reply that is not
 * sampled at random, or anything else is a 400 naming the header.
 */
export function resumePoint(req: Request, reply: Reply): { index: number; draw?: number } {
  const header = req.headers['last-event-id'];
  const match = typeof header === 'string' ? /^([0-9a-z]{1,7}):(\d+)$/.exec(header) : null;
  if (!match) return { index: lastEventIdHeader(req.headers, reply.tokens.length) ?? -1 };
  const draw = parseInt(match[1]!, 36);
  const index = Number(match[2]);
  if (reply.settings.temperature === 0 || reply.settings.sampleSeed !== null) {
    throw new Problem(
      400,
      `Header "Last-Event-ID" names a sampled reply (${JSON.stringify(header)}), but these settings do not sample at random (temperature 0, or a seed).`,
      'Last-Event-ID',
    );
  }
  const count = draw < 2 ** 32 ? replyFor(reply.settings, draw).tokens.length : 0;
  if (!Number.isSafeInteger(index) || index >= count) {
    throw new Problem(
      400,
      `Header "Last-Event-ID" must be <draw>:<index> with a draw below 2^32 and an index below its ${count} tokens; got ${JSON.stringify(header)}.`,
      'Last-Event-ID',
    );
  }
  return { index, draw };
}
