import type { Request, RequestHandler } from 'express';
import { Problem } from '../problem.ts';
import { parseSettings } from '../model/settings.ts';
import { paced, replyFor, summarize } from '../model/reply.ts';
import type { Token } from '../model/pacedTokens.ts';
import { sseHeaders } from './sseHeaders.ts';
import { send, type TransportContext } from './transport.ts';

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
 * `GET /api/stream/sse`: the reply as Server-Sent Events. A reconnect that sends
 * `Last-Event-ID: n` (EventSource does so on its own) resumes with token n+1.
 */
export function sseTransport(ctx: TransportContext): RequestHandler {
  return async (req, res) => {
    const reply = replyFor(parseSettings(req.query));
    const from = lastEventId(req, reply.tokens.length) + 1;
    const release = ctx.limiter.acquire(req.socket.remoteAddress);
    const tokens = paced(reply, from);

    let heartbeat: ReturnType<typeof setTimeout> | undefined;
    const quiet = (): void => {
      clearTimeout(heartbeat);
      heartbeat = setTimeout(() => {
        res.write(': keep-alive\n\n');
        quiet();
      }, ctx.heartbeatMs);
    };
    res.on('close', () => {
      void tokens.return();
      clearTimeout(heartbeat);
      release();
    });

    res.writeHead(200, sseHeaders);
    res.flushHeaders(); // the head leaves now, before the model "thinks"
    await send(res, `retry: ${ctx.retryMs}\n\n`);
    quiet();
    for await (const token of tokens) {
      await send(res, sseTokenEvent(token));
      quiet();
    }
    clearTimeout(heartbeat);
    if (res.destroyed) return;
    await send(res, sseDoneEvent(summarize(reply)));
    res.end();
  };
}

/** The index of the last event the client has, from the header EventSource sends; -1 if none. */
function lastEventId(req: Request, count: number): number {
  const header = req.get('Last-Event-ID');
  if (header === undefined || header === '') return -1;
  const n = /^\d+$/.test(header) ? Number(header) : NaN;
  if (!Number.isSafeInteger(n) || n >= count) {
    throw new Problem(400, `Header "Last-Event-ID" must be a token index from 0 to ${count - 1}; got ${JSON.stringify(header)}.`, 'Last-Event-ID');
  }
  return n;
}
