import express from 'express';
import compression from 'compression';
import type { TransportContext } from '../../transports/transport.ts';
import { faultySseRoute, slowLink } from './faultySse.ts';
import { bufferingProxyRoute } from './bufferingProxy.ts';
import { compressedSseRoute, gzipOnly } from './compressedSse.ts';
import { idleProxyRoute } from './idleProxy.ts';

/**
 * The faults lab, under `/api/labs/faults/`: SSE streams with one thing between them and the
 * browser that breaks streaming, each visible in the bytes and their timing.
 * - `GET /sse?drop=N&throttle=B&latency=ms&…`: a cut connection, a slow link.
 * - `GET /buffering-proxy/sse?holdBytes=N&honourAccel=true|false&…`: a proxy that buffers.
 * - `GET /compressed/sse?flush=true|false&…`: compression middleware.
 * - `GET /idle-proxy/sse?idle=ms&heartbeat=ms&…`: a proxy that hangs up after `idle` ms of quiet.
 * Every route also takes the usual reply settings (`prompt`, `text`, `tps`, … `run`).
 *
 * The page tells its lanes apart by request path, so each lane of the lab has a path of its own,
 * with the fault built in (its parameters still apply):
 * - `GET /slow/sse`: `/sse` with `throttle=1000&latency=50` by default (`slowLink`).
 * - `GET /accel-proxy/sse`: `/buffering-proxy/sse` with `honourAccel=true` by default.
 * - `GET /gzip/sse`, `GET /gzip-flushed/sse`: gzip only (what a browser gets is then the coding
 *   the lesson names, not brotli), without and with a flush after each event.
 * - `GET /idle-proxy/quiet/sse`: the idle-timeout proxy in front of a stream with no heartbeats
 *   (`heartbeat=0` by default); `/idle-proxy/sse` keeps the server's own.
 */
export function faultsRoutes(ctx: TransportContext): express.Router {
  const lab = express.Router();
  lab.get('/sse', faultySseRoute(ctx));
  lab.get('/slow/sse', faultySseRoute(ctx, slowLink));
  // Lesson 11's fetch lanes (one path each): a fetch client cut with `drop`, one that resumes itself.
  lab.get(['/cut/sse', '/resume/sse'], faultySseRoute(ctx));
  lab.get('/buffering-proxy/sse', bufferingProxyRoute());
  lab.get('/accel-proxy/sse', bufferingProxyRoute({ honourAccel: true }));
  lab.get('/idle-proxy/sse', idleProxyRoute());
  lab.get('/idle-proxy/quiet/sse', idleProxyRoute({ defaultHeartbeat: 0 }));
  // The middleware as an app would use it, defaults and all.
  lab.get('/compressed/sse', compression(), compressedSseRoute(ctx));
  lab.get('/gzip/sse', gzipOnly, compression(), compressedSseRoute(ctx, { flush: false }));
  lab.get('/gzip-flushed/sse', gzipOnly, compression(), compressedSseRoute(ctx, { flush: true }));

  const router = express.Router();
  router.use('/api/labs/faults', lab);
  return router;
}
