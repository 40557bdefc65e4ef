import type { RequestHandler } from 'express';
import { EventStream, directSink, lastEventId, sseEvent } from '../../sse/eventStream.ts';
import type { TransportContext } from '../../transports/transport.ts';
import type { AccessLog } from './accessLog.ts';
import type { AccessLogEntry } from '../../../shared/accessLog.ts';

/**
 * `GET /api/labs/http/log`: the access log, live, as SSE. It opens with the recent entries in
 * one write, then sends each new one as it is recorded: `id: <seq>`, `event: entry`, the entry
 * as JSON. A reconnect's `Last-Event-ID` skips the entries the page already has.
 */
export function accessLogRoute(log: AccessLog, ctx: TransportContext): RequestHandler {
  return (req, res) => {
    // A Last-Event-ID that is no entry's number is ignored: the page gets the recent entries.
    let after = 0;
    try {
      after = lastEventId(req.headers) ?? 0;
    } catch {
      after = 0;
    }

    const recent = log.entries.filter((entry) => entry.seq > after).map(logEvent);
    const stream = new EventStream(res, { retryMs: ctx.retryMs, keepAlive: { ms: ctx.heartbeatMs, every: 'interval' }, sink: directSink(res) }, recent);

    const stop = log.subscribe((entry) => {
      // A page that stopped reading loses entries (it can reconnect for the last 200) rather
      // than make the server buffer without bound.
      if (stream.closed || stream.behind(maxBufferedBytes)) return;
      void stream.send(logEvent(entry));
    });
    res.on('close', stop);
  };
}

const maxBufferedBytes = 256 * 1024;

export function logEvent(entry: AccessLogEntry): string {
  return sseEvent({ id: entry.seq, event: 'entry', data: entry });
}
