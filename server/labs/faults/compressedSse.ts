import type { RequestHandler } from 'express';
import { parseSettings } from '../../model/settings.ts';
import { replyFor } from '../../model/reply.ts';
import { send, type TransportContext } from '../../transports/transport.ts';
import { booleanParam } from './params.ts';
import { streamSse } from '../../transports/sse.ts';

/**
 * The SSE handler behind `GET /api/labs/faults/compressed/sse?flush=…` (and the gzip lanes'
 * routes), mounted after the `compression` middleware. `text/event-stream` counts as
 * compressible and SSE headers carry no `Cache-Control: no-transform`, so the middleware
 * compresses the stream (brotli for a browser, which accepts `br`; gzip for
 * `curl --compressed`), and the compressor keeps small writes until it has a block's worth: the
 * tokens arrive all at once at the end. With flush on, the handler calls `res.flush()` (a sync
 * flush) after every write, and each event leaves as its own small compressed piece that the
 * browser can decompress at once.
 *
 * `flush` fixes the choice for a route (the lanes' own paths); left out, the `flush` query
 * parameter decides (default false).
 */
export function compressedSseRoute(ctx: TransportContext, { flush: fixed }: { flush?: boolean } = {}): RequestHandler {
  return async (req, res) => {
    const reply = replyFor(parseSettings(req.query, fixed === undefined ? ['flush'] : []));
    const flush = fixed ?? booleanParam(req.query, 'flush', false);
    await streamSse(req, res, ctx, reply, {
      write: async (text) => {
        const sent = send(res, text);
        if (flush) res.flush();
        await sent;
      },
      end: (last) => res.end(last),
    });
  };
}

/**
 * Narrows the client's `Accept-Encoding` to gzip (or nothing), for routes that speak gzip only,
 * as many servers and proxies do. A browser prefers brotli when it is offered; the gzip lanes
 * want the coding the lesson names, and both hold a stream back alike.
 */
export const gzipOnly: RequestHandler = (req, _res, next) => {
  req.headers['accept-encoding'] = req.acceptsEncodings('gzip') === 'gzip' ? 'gzip' : 'identity';
  next();
};
