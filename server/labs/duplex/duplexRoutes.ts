import express, { type RequestHandler } from 'express';
import { Problem } from '../../problem.ts';
import { parseSettings } from '../../model/settings.ts';
import { runPattern, runRule } from '../../../shared/replySettings.ts';
import { replyFor } from '../../model/reply.ts';
import type { TransportContext } from '../../transports/transport.ts';
import { responseSink, streamSse } from '../../transports/sse.ts';
import { checkMessage } from './chatMessage.ts';

/** The duplex lab's paths: each lane of the page has one of its own (the page tells lanes apart by path). */
export const duplexPaths = {
  /** WebSocket: many small messages both ways (`chatSocket.ts`). */
  chatSocket: '/api/labs/duplex/ws',
  /** WebSocket: the reply, which `{"type":"stop"}` ends on the same connection (the main transport). */
  stopSocket: '/api/labs/duplex/stop/ws',
  /** POST: one small message up, its echo down, one request each. */
  echo: '/api/labs/duplex/echo',
  /** GET: the reply as SSE; POST on the same path with the same `run` stops it. */
  stopSse: '/api/labs/duplex/stop/sse',
} as const;

/**
 * The HTTP half of the "when a WebSocket wins" lab (`lessons/14-*`):
 * - `POST /api/labs/duplex/echo?run=…` with `{"index":n,"text":"…"}` answers the same JSON: the
 *   HTTP way to send many small messages up, a request (and its headers) each.
 * - `GET /api/labs/duplex/stop/sse?run=<id>&…settings` streams the reply like `/api/stream/sse`,
 *   filed under its `run`; `POST /api/labs/duplex/stop/sse?run=<id>` stops that stream (204), which
 *   then ends with a `done` event saying `"stopped": true`. A stream that outlives its connection
 *   (resumable, lesson 7) cannot be stopped by hanging up: the stop is a second request.
 */
export function duplexRoutes(ctx: TransportContext): express.Router {
  const lab = express.Router();
  const streams = new Map<string, AbortController>();

  lab.post('/echo', express.json({ limit: '4kb', type: () => true }), (req, res) => {
    onlyRun(req.query);
    const message = checkMessage(req.body, ['say']);
    if (message.type !== 'say') return;
    res.set('Cache-Control', 'no-store').json({ index: message.index, text: message.text });
  });

  lab.get('/stop/sse', ((req, res) => {
    const settings = parseSettings(req.query);
    if (settings.run === null)
      throw new Problem(400, 'Parameter "run" is required here: it names the stream, so that a POST with the same run can stop it.', 'run');
    const run = settings.run;
    const controller = new AbortController();
    streams.set(run, controller);
    res.on('close', () => {
      if (streams.get(run) === controller) streams.delete(run);
    });
    return streamSse(req, res, ctx, replyFor(settings), responseSink(res), { stop: controller.signal });
  }) satisfies RequestHandler);

  lab.post('/stop/sse', (req, res) => {
    const run = onlyRun(req.query);
    if (run === null) throw new Problem(400, 'Parameter "run" is required: the run of the stream to stop.', 'run');
    const stream = streams.get(run);
    if (!stream) throw new Problem(404, `No stream with run "${run}" is open here.`, 'run');
    streams.delete(run);
    stream.abort();
    res.status(204).end();
  });

  const router = express.Router();
  router.use('/api/labs/duplex', lab);
  return router;
}

/** The query of a POST: `run` alone, checked like the reply settings' own. */
function onlyRun(query: Record<string, unknown>): string | null {
  for (const key of Object.keys(query)) {
    if (key !== 'run') throw new Problem(400, `Unknown parameter "${key}". This endpoint takes only "run" in its query; the message goes in the body.`, key);
  }
  const run = query.run;
  if (run === undefined) return null;
  if (typeof run !== 'string' || !runPattern.test(run)) throw new Problem(400, `Parameter "run" must be ${runRule}.`, 'run');
  return run;
}
