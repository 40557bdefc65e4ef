import express from 'express';
import compression from 'compression';
import type { TransportContext } from '../../transports/transport.ts';
import { faultySseRoute } from './faultySse.ts';
import { bufferingProxyRoute } from './bufferingProxy.ts';
import { compressedSseRoute } from './compressedSse.ts';

/**
 * The faults lab, under `/api/labs/faults/`: SSE streams with one thing between them and the
 * browser that breaks streaming, each visible in the bytes and their timing.
 * - `GET /sse?drop=N&throttle=B&latency=ms&…`: a cut connection, a slow link.
 * - `GET /buffering-proxy/sse?holdBytes=N&honourAccel=true|false&…`: a proxy that buffers.
 * - `GET /compressed/sse?flush=true|false&…`: gzip compression middleware.
 * Every route also takes the usual reply settings (`prompt`, `text`, `tps`, … `run`).
 */
export function faultsRoutes(ctx: TransportContext): express.Router {
  const lab = express.Router();
  lab.get('/sse', faultySseRoute(ctx));
  lab.get('/buffering-proxy/sse', bufferingProxyRoute());
  // The middleware as an app would use it, defaults and all.
  lab.get('/compressed/sse', compression(), compressedSseRoute(ctx));

  const router = express.Router();
  router.use('/api/labs/faults', lab);
  return router;
}
