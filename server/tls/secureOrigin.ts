/**
 * How the page, opened over plain `http://host:PORT`, finds the HTTPS port and may use it.
 *
 * - `GET /api/https` answers `{ "port": 3443 }`, or `{ "port": null }` when no HTTPS is served.
 * - On the HTTPS port, the stream endpoints, the tap and that answer carry CORS headers for the
 *   same host's plain origin only (`http://<Host>:<PORT>`): the page's EventSource to the HTTPS
 *   origin is a cross-origin request (another scheme and port). No credentials on the streams:
 *   EventSource is opened without them and the streams need none. The tap and the port's answer
 *   may also be read with credentials (`credentialedPaths`), for the h2 lab.
 * - The page's Content-Security-Policy names that HTTPS origin in `connect-src`
 *   (`contentSecurityPolicy.ts`).
 *
 * https://fetch.spec.whatwg.org/#http-cors-protocol
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { tapPath } from '../../shared/tap.ts';

/** What the HTTPS port is, once bound: `null` when off (or not yet bound). */
export type HttpsPort = () => number | null;

/** The paths on the HTTPS port a page on the plain port may read: the streams, the port probe and the tap. */
export const secureCorsPaths = ['/api/https', '/api/stream', tapPath];

/**
 * The paths a page on the plain port may also read with credentials. Browsers keep credentialed
 * and anonymous requests on separate connections: the h2 lab probes and taps with credentials so
 * that its eight anonymous EventSources start a connection of their own (streams 1, 3 … 15), which
 * carries nothing else. Neither answer depends on cookies.
 */
export const credentialedPaths: readonly string[] = ['/api/https', tapPath];

/** The host name a request was sent to (`Host`, or HTTP/2's `:authority`), without its port; `undefined` if unusable. */
export function requestHostname(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const raw = req.headers.host ?? (req.headers[':authority'] as string | undefined);
  if (!raw) return undefined;
  try {
    const { hostname } = new URL(`http://${raw}`);
    // Only what can stand in an origin, so a Host header cannot smuggle text into a header we send.
    return /^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/i.test(hostname) ? hostname : undefined;
  } catch {
    return undefined;
  }
}

/** The HTTPS origin for a request to this host, e.g. `https://localhost:3443`. */
export function httpsOriginFor(req: Pick<IncomingMessage, 'headers'>, port: number | null): string | undefined {
  const hostname = requestHostname(req);
  return hostname && port !== null ? `https://${hostname}:${port}` : undefined;
}

/** Whether `origin` is the plain origin of the very host this request was sent to. */
export function isOwnPlainOrigin(origin: string, req: Pick<IncomingMessage, 'headers'>, plainPort: number | null): boolean {
  if (plainPort === null) return false;
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && url.hostname === requestHostname(req) && Number(url.port || 80) === plainPort && url.origin === origin;
  } catch {
    return false;
  }
}

/**
 * CORS for requests that arrived over TLS from the same host's plain origin: the response may be
 * read by that page. Preflights (EventSource's reconnect sends `Last-Event-ID`, which is not a
 * CORS-safelisted header) are answered here. Requests over plain HTTP are same-origin and untouched.
 */
export function secureCors(plainPort: () => number | null): RequestHandler {
  return (req, res, next) => {
    const encrypted = Boolean((req.socket as { encrypted?: boolean } | undefined)?.encrypted);
    const origin = req.get('origin');
    if (!encrypted) return next();
    res.vary('Origin');
    if (!origin || !isOwnPlainOrigin(origin, req, plainPort())) return next();
    res.set('Access-Control-Allow-Origin', origin);
    if (credentialedPaths.includes(req.baseUrl)) res.set('Access-Control-Allow-Credentials', 'true');
    // The page reads which instance answered and the reply's settings.
    res.set('Access-Control-Expose-Headers', '*');
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', 'GET');
      res.set('Access-Control-Allow-Headers', 'Last-Event-ID, Cache-Control');
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/** `GET /api/https`: the HTTPS port, or `null`. */
export function httpsPortRoute(port: HttpsPort): RequestHandler {
  return (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json({ port: port() });
  };
}
