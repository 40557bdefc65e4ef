import type { Request, RequestHandler } from 'express';
import { Problem } from '../problem.ts';
import { runPattern, runRule } from '../../shared/replySettings.ts';
import { EventStream, directSink, sseEvent } from '../sse/eventStream.ts';
import type { TapListener, WireTap } from './wireTap.ts';
import { now } from './wireTap.ts';

export interface TapRouteOptions {
  /**
   * Bytes a reader may fall behind before its events are dropped instead of buffered.
   * @default 1 MiB
   */
  maxBufferedBytes?: number;
  /** What this reader may see (classroom mode: `tapGuard`). @default everything */
  guard?: (req: Request) => Pick<TapListener, 'accepts' | 'masked'>;
}

/**
 * `GET /api/tap?run=<id>`: the wire tap's events as SSE, one JSON event per `data:` line.
 * A reader that does not keep up loses events (counted, and announced in a `dropped` event once
 * it catches up) rather than making the server buffer without bound.
 */
export function tapRoute(tap: WireTap, { maxBufferedBytes = 1024 * 1024, guard }: TapRouteOptions = {}): RequestHandler {
  return (req, res) => {
    const run = req.query.run;
    if (run !== undefined && (typeof run !== 'string' || !runPattern.test(run))) {
      throw new Problem(400, `Parameter "run" must be ${runRule}.`, 'run');
    }
    // A comment now and then keeps proxies from closing an idle inspector.
    const stream = new EventStream(res, { retryMs: 1000, keepAlive: { ms: 15_000, every: 'interval' }, sink: directSink(res) });

    let dropped = 0;
    const reportDropped = (): void => {
      if (dropped === 0) return;
      void stream.send({ data: { type: 'dropped', t: now(), count: dropped } });
      dropped = 0;
    };
    const stop = tap.listen({
      ...guard?.(req),
      run: run ?? null,
      send(json) {
        if (stream.behind(maxBufferedBytes)) {
          // Tell the reader as soon as it catches up, even if nothing else happens by then.
          if (dropped++ === 0) res.once('drain', reportDropped);
          return;
        }
        reportDropped();
        void stream.send(sseEvent({ data: json }));
      },
    });
    res.on('close', stop);
  };
}
