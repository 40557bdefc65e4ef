import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { Problem } from '../../problem.ts';
import { parseSettings, settingsQuery } from '../../model/settings.ts';
import { booleanParam, integerParam } from './params.ts';

/** Bounds of `holdBytes`; the default holds any scripted reply whole, as nginx's buffers would. */
export const holdBytesBounds = { min: 0, max: 16 * 1024 * 1024 } as const;
export const defaultHoldBytes = 64 * 1024;

/** Headers a proxy answers for itself (RFC 9110 §7.6.1) or, like nginx, keeps to itself. */
const notForwarded = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'proxy-connection']);

/**
 * `GET /api/labs/faults/buffering-proxy/sse?holdBytes=N&honourAccel=true|false&…`: a buffering
 * reverse proxy (nginx with `proxy_buffering on`, a CDN) in front of the real
 * `GET /api/stream/sse` of this same server. It is a real middle hop: it opens its own HTTP
 * connection to the server, forwards the response head at once, then holds the body until
 * `holdBytes` have piled up or the upstream ends, and only then writes what it holds, in one
 * write. With `honourAccel=true` it obeys the upstream's `X-Accel-Buffering: no` (as nginx does)
 * and forwards each piece as it arrives (`honourAccel` sets the default of the parameter).
 *
 * The upstream request carries `run=<run>-upstream`, so the tap shows both hops side by side.
 */
export function bufferingProxyRoute({ honourAccel: honourByDefault = false }: { honourAccel?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    const settings = parseSettings(req.query, ['holdBytes', 'honourAccel']);
    const holdBytes = integerParam(req.query, 'holdBytes', holdBytesBounds, defaultHoldBytes);
    const honourAccel = booleanParam(req.query, 'honourAccel', honourByDefault);
    const run = settings.run === null ? null : `${settings.run}-upstream`;
    const upstreamRun = run !== null && run.length <= 64 ? run : null;

    const headers: OutgoingHttpHeaders = {
      accept: 'text/event-stream',
      via: '1.1 streamscope-buffering-proxy',
      'x-forwarded-for': req.socket.remoteAddress ?? '',
    };
    const lastEventId = req.get('Last-Event-ID');
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;

    // One connection per proxied stream, like nginx's default HTTP/1.0 upstream.
    const upstream = http.get({
      host: req.socket.localAddress,
      port: req.socket.localPort,
      path: `/api/stream/sse?${settingsQuery({ ...settings, run: upstreamRun })}`,
      headers,
      agent: false,
    });
    res.on('close', () => upstream.destroy());
    upstream.on('error', (error) => {
      if (res.headersSent) res.destroy();
      else next(new Problem(502, `The buffering proxy could not reach the server's own /api/stream/sse: ${error.message}.`));
    });

    upstream.on('response', (up) => {
      const passThrough = honourAccel && up.headers['x-accel-buffering'] === 'no';
      res.writeHead(up.statusCode ?? 502, downstreamHeaders(up.headers, 'streamscope-buffering-proxy'));
      res.flushHeaders();

      let held: Buffer[] = [];
      let heldBytes = 0;
      const release = (): void => {
        if (heldBytes === 0) return;
        const body = Buffer.concat(held);
        held = [];
        heldBytes = 0;
        if (!res.write(body)) up.pause();
      };
      res.on('drain', () => up.resume());
      up.on('data', (chunk: Buffer) => {
        held.push(chunk);
        heldBytes += chunk.length;
        if (passThrough || heldBytes >= holdBytes) release();
      });
      up.on('end', () => {
        release();
        res.end();
      });
      up.on('error', () => res.destroy());
    });
  };
}

/** The upstream's head as a lab proxy forwards it: hop-by-hop fields and `X-Accel-*` dropped, `Via` naming the proxy. */
export function downstreamHeaders(upstream: IncomingHttpHeaders, proxy: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || notForwarded.has(name) || name.startsWith('x-accel-')) continue;
    headers[name] = value;
  }
  headers.via = `1.1 ${proxy}`;
  return headers;
}
