import type { RequestHandler } from 'express';
import { Problem } from '../problem.ts';
import type { IncomingMessage } from 'node:http';
import type { ReplyLog } from './replyLog.ts';

/**
 * `GET /api/replies/:id`: a reply's log as it stands, `{ id, tokens: [{ index, text }], done, state }`
 * (`state`: generating, stopped, done or failed). The id is the one a streamed response names in
 * its `X-Streamscope-Reply` header. An id never seen, or whose log expired, is a 404.
 */
export function repliesRoute(logFor: (req: IncomingMessage) => ReplyLog): RequestHandler {
  return async (req, res) => {
    const id = String(req.params.id);
    const log = logFor(req);
    const entry = await log.get(id);
    if (!entry) {
      const { maxAgeMs, maxLogs } = log.bounds;
      // A shared store is bounded by its own memory, not by a count of logs.
      const bound = log.shared ? `in ${log.where}` : `${maxLogs} logs at most`;
      throw new Problem(
        404,
        `No reply "${id}" is held here: this server never streamed it, or its log expired (a log is kept ${maxAgeMs / 60_000} minutes after its end, ${bound}).`,
        'id',
      );
    }
    const { tokens, state } = await entry.snapshot();
    res.set('Cache-Control', 'no-store').json({ id, tokens, done: state === 'done', state });
  };
}
