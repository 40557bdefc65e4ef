import type { Writable } from 'node:stream';
import type { Request, RequestHandler, Response } from 'express';
import { Problem } from '../problem.ts';
import { parseSettings } from '../model/settings.ts';
import { failsAt, failureDetail, replyFor, summarize, type Reply } from '../model/reply.ts';
import type { Token } from '../model/pacedTokens.ts';
import { sseHeaders } from './sseHeaders.ts';
import { endedBy, pacedResponse, send, type TransportContext } from './transport.ts';

/**
 * One token as one SSE event. The text travels JSON-encoded: a raw CR or LF in `data:` would
 * end the field, and a blank line would end the event.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export function sseTokenEvent(token: Pick<Token, 'index' | 'text'>): string {
  return `id: ${token.index}\nevent: token\ndata: ${JSON.stringify({ index: token.index, text: token.text })}\n\n`;
}

export function sseDoneEvent(summary: object): string {
  return `event: done\ndata: ${JSON.stringify(summary)}\n\n`;
}

/**
 * The model failed after the `200` went out: the status line cannot say so any more, so an event
 * does. No `id:`, so a resume asks again from the last token. (EventSource hands a named `error`
 * event to the same `onerror` handler as a lost connection: the page tells them apart by `data`.)
 */
export function sseErrorEvent(tokens: number, detail: string): string {
  return `event: error\ndata: ${JSON.stringify({ tokens, detail })}\n\n`;
}

/** Where an SSE stream writes: the response itself, or (in the faults lab) something slow or compressing in front of it. */
export interface EventSink {
  /** Writes a piece of the stream; resolves when the next may follow (for a fault: once it is out). */
  write(text: string): Promise<void>;
  /** Ends the response after the last write. */
  end(): void;
}

/** A sink over a Writable: each write resolves when the Writable calls back. */
export function writableSink(writable: Writable): EventSink {
  return {
    write: (text) => new Promise((resolve) => writable.write(text, () => resolve())),
    end: () => writable.end(),
  };
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

  let heartbeat: ReturnType<typeof setTimeout> | undefined;
  const quiet = (): void => {
    clearTimeout(heartbeat);
    if (heartbeatMs === 0) return;
    heartbeat = setTimeout(() => {
      // Through the sink, so it queues behind a half-written event instead of cutting into it.
      void sink.write(': keep-alive\n\n');
      quiet();
    }, heartbeatMs);
  };
  res.on('close', () => clearTimeout(heartbeat));

  res.writeHead(200, sseHeaders);
  res.flushHeaders();
  await sink.write(`retry: ${ctx.retryMs}\n\n`);
  quiet();
  let sent = 0;
  for await (const token of tokens) {
    await sink.write(sseTokenEvent(token));
    quiet();
    if (++sent === dropAfter) {
      // The token is out (the sink resolved once it was flushed): now the connection dies the
      // way a crashed server's or a broken link's does, with no terminating chunk.
      clearTimeout(heartbeat);
      if (token.index + 1 < reply.tokens.length) endedBy(res, 'cut');
      res.destroy();
      return;
    }
  }
  clearTimeout(heartbeat);
  if (res.destroyed) return;
  const failed = failsAt(reply);
  const summary = stop?.aborted ? { ...summarize(reply), stopped: true, sent } : summarize(reply);
  await sink.write(failed === null ? sseDoneEvent(summary) : sseErrorEvent(failed, failureDetail(reply)));
  sink.end();
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

/** Writes straight to the response, waiting while its buffer is full. */
export function responseSink(res: Response): EventSink {
  return { write: (text) => send(res, text), end: () => res.end() };
}

/** The index of the last event the client has, from the header EventSource sends; -1 if none. */
export function lastEventId(req: Request, count: number): number {
  const header = req.get('Last-Event-ID');
  if (header === undefined || header === '') return -1;
  const n = /^\d+$/.test(header) ? Number(header) : NaN;
  if (!Number.isSafeInteger(n) || n >= count) {
    throw new Problem(400, `Header "Last-Event-ID" must be a token index from 0 to ${count - 1}; got ${JSON.stringify(header)}.`, 'Last-Event-ID');
  }
  return n;
}
