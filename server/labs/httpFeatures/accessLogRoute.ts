import type { RequestHandler } from 'express';
import { sseHeaders } from '../../transports/sseHeaders.ts';
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
    const header = req.get('Last-Event-ID') ?? '';
    const after = /^\d+$/.test(header) ? Number(header) : 0;

    res.writeHead(200, sseHeaders);
    res.flushHeaders();
    const recent = log.entries.filter((entry) => entry.seq > after).map(logEvent);
    res.write(`retry: ${ctx.retryMs}\n\n${recent.join('')}`);

    const stop = log.subscribe((entry) => {
      // A page that stopped reading loses entries (it can reconnect for the last 200) rather
      // than make the server buffer without bound.
      if (res.destroyed || res.writableEnded || res.writableLength > maxBufferedBytes) return;
      res.write(logEvent(entry));
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), ctx.heartbeatMs);
    res.on('close', () => {
      clearInterval(heartbeat);
      stop();
    });
  };
}

const maxBufferedBytes = 256 * 1024;

export function logEvent(entry: AccessLogEntry): string {
  return `id: ${entry.seq}\nevent: entry\ndata: ${JSON.stringify(entry)}\n\n`;
}
