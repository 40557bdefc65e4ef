import http, { type OutgoingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { Problem } from '../../problem.ts';
import { parseSettings, settingsQuery } from '../../model/settings.ts';
import { heartbeatParam } from '../../transports/sse.ts';
import { downstreamHeaders } from './bufferingProxy.ts';
import { integerParam } from './params.ts';

/**
 * Bounds of `idle`, the ms of quiet after which the proxy hangs up. Real ones are far longer
 * (nginx's `proxy_read_timeout` 60 s, an AWS Application Load Balancer 60 s, Cloudflare 100 s);
 * the lab's default is short enough to watch, and longer than the server's 2.5 s heartbeat.
 */
export const idleBounds = { min: 100, max: 600_000 } as const;
export const defaultIdleMs = 3000;

const proxyName = 'streamscope-idle-proxy';

/**
 * `GET /api/labs/faults/idle-proxy/sse?idle=ms&heartbeat=ms&…`: a reverse proxy that passes every
 * byte on as it comes (no buffering) but hangs up on a connection that has carried no byte from
 * the server for `idle` ms, as nginx does when `proxy_read_timeout` runs out between two reads
 * and as load balancers do with their idle timeout. Before the response head that is a
 * `504 Gateway Timeout`; after it, the proxy closes the connection with no terminating chunk, as
 * nginx does, so the browser sees a stream that broke, not one that ended.
 *
 * `heartbeat` goes to the server's own `GET /api/stream/sse` (`: keep-alive` comments after that
 * much quiet; 0: none; absent: the server's default, or `defaultHeartbeat`). Every comment is a
 * read for the proxy: it resets the idle timer, which is what heartbeats are for.
 *
 * The upstream request carries `run=<run>-upstream`, so the tap shows both hops side by side.
 */
export function idleProxyRoute({ defaultHeartbeat }: { defaultHeartbeat?: number } = {}): RequestHandler {
  return (req, res, next) => {
    const settings = parseSettings(req.query, ['idle', 'heartbeat']);
    const idleMs = integerParam(req.query, 'idle', idleBounds, defaultIdleMs);
    // Checked here too, so a bad value is the proxy's 400 and not a broken upstream.
    const heartbeat = heartbeatParam(req.query, -1);
    const upstreamHeartbeat = heartbeat >= 0 ? heartbeat : defaultHeartbeat;
    const run = settings.run === null ? null : `${settings.run}-upstream`;
    const query = new URLSearchParams(settingsQuery({ ...settings, run: run !== null && run.length <= 64 ? run : null }));
    if (upstreamHeartbeat !== undefined) query.set('heartbeat', String(upstreamHeartbeat));

    const headers: OutgoingHttpHeaders = { accept: 'text/event-stream', via: `1.1 ${proxyName}`, 'x-forwarded-for': req.socket.remoteAddress ?? '' };
    const lastEventId = req.get('Last-Event-ID');
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;

    const upstream = http.get({ host: req.socket.localAddress, port: req.socket.localPort, path: `/api/stream/sse?${query}`, headers, agent: false });

    // One timer per connection, restarted by every read from the server.
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Set once the proxy has hung up or the client has gone: the upstream's error is then expected.
    let over = false;
    const quiet = (): void => {
      clearTimeout(timer);
      timer = setTimeout(hangUp, idleMs);
    };
    const hangUp = (): void => {
      over = true;
      upstream.destroy();
      if (!res.headersSent) {
        next(new Problem(504, `The idle-timeout proxy heard nothing from the server for ${idleMs} ms and gave up (proxy_read_timeout).`, 'idle'));
        return;
      }
      // After the head: close without the zero-size chunk, like nginx on "upstream timed out".
      res.destroy();
    };
    res.on('close', () => {
      over = true;
      clearTimeout(timer);
      upstream.destroy();
    });
    quiet();

    upstream.on('error', (error) => {
      clearTimeout(timer);
      if (over) return;
      if (res.headersSent) res.destroy();
      else next(new Problem(502, `The idle-timeout proxy could not reach the server's own /api/stream/sse: ${error.message}.`));
    });
    upstream.on('response', (up) => {
      quiet();
      res.writeHead(up.statusCode ?? 502, downstreamHeaders(up.headers, proxyName));
      res.flushHeaders();
      res.on('drain', () => up.resume());
      up.on('data', (chunk: Buffer) => {
        quiet();
        if (!res.write(chunk)) up.pause();
      });
      up.on('end', () => {
        clearTimeout(timer);
        res.end();
      });
      up.on('error', () => res.destroy());
    });
  };
}
