import type { RequestHandler } from 'express';
import { parseSettings } from '../model/settings.ts';
import { failsAt, replyFor, summarize } from '../model/reply.ts';
import { failureProblem, pacedResponse, type TransportContext } from './transport.ts';

/**
 * `GET /api/stream/http`: the same reply after the same simulated time, but buffered: nothing
 * leaves until the last token is generated, then one body with `Content-Length`.
 */
export function bufferedTransport(ctx: TransportContext): RequestHandler {
  return async (req, res) => {
    const reading = await pacedResponse(ctx, req, res, replyFor(parseSettings(req.query)), 'http');
    // The reply the log holds (an upstream model's fills in as it streams).
    const { reader: tokens, reply } = reading;

    const texts: string[] = [];
    for await (const token of tokens) texts.push(token.text);
    if (res.destroyed) return;
    // Nothing has been sent: a failure still gets a status line of its own.
    if (failsAt(reply) !== null) throw failureProblem(reply);

    const { characters, plannedMs } = summarize(reply);
    const body = Buffer.from(JSON.stringify({ text: texts.join(''), tokens: texts, characters, plannedMs }));
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': body.length,
      // A reload must run the race again, not show a cached or 304 answer.
      'Cache-Control': 'no-store',
    });
    res.end(body);
  };
}
