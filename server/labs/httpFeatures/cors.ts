import { sameOrigin } from '../../origin.ts';
import type { Request, RequestHandler } from 'express';

/** Request headers a cross-origin page may send to the lab's stream (a fetch + SSE parser sends these). */
const allowedRequestHeaders = ['authorization', 'last-event-id', 'content-type'];

/**
 * Which foreign origins may read the CORS lab's stream. Same-origin pages always may; others
 * only when listed, or when the second origin is switched on (`PUT /api/labs/http/cors`). The
 * switch is each learner's own (`HttpLab.settings`): the policy is handed its position.
 */
export class CorsPolicy {
  /** Foreign origins always allowed, e.g. `http://192.168.1.20:5173`. */
  readonly allowedOrigins: readonly string[];
  /**
   * The port of the lab's second origin (`startSecondOrigin`), once it listens. The second
   * origin is that port on the host name the request came to, so it works the same on
   * `localhost`, `127.0.0.1` or a classroom's LAN address.
   */
  secondOriginPort: number | null;

  constructor(allowedOrigins: readonly string[] = [], secondOriginPort: number | null = null) {
    this.allowedOrigins = allowedOrigins;
    this.secondOriginPort = secondOriginPort;
  }

  /** The second origin as seen by a request to `host`, e.g. `http://127.0.0.1:5174`; `null` if none. */
  secondOrigin(host: string | undefined): string | null {
    if (this.secondOriginPort === null || host === undefined) return null;
    try {
      return `http://${new URL(`http://${host}`).hostname}:${this.secondOriginPort}`;
    } catch {
      return null;
    }
  }

  /** Whether `origin` may read a response to `host`, with the second origin switched on or off. */
  allows(origin: string, host: string | undefined, allowSecondOrigin: boolean): boolean {
    if (sameOrigin(origin, host) || this.allowedOrigins.includes(origin)) return true;
    return allowSecondOrigin && origin === this.secondOrigin(host);
  }

  /** What `GET|PUT /api/labs/http/cors` answer, for a request to `host`. */
  state(host: string | undefined, allowSecondOrigin: boolean): { allowSecondOrigin: boolean; secondOrigin: string | null; allowedOrigins: readonly string[] } {
    return { allowSecondOrigin, secondOrigin: this.secondOrigin(host), allowedOrigins: this.allowedOrigins };
  }
}

/** Whether the second origin is switched on for a request (its learner's switch). */
export type SecondOriginSwitch = (req: Request) => boolean;

/**
 * CORS response headers for an actual request. A refused origin still gets its 200 and its
 * whole stream (the access log shows it): CORS does not stop the server from answering, only
 * the browser from handing the answer to the page. Credentials are allowed, so a page's
 * `new EventSource(url, { withCredentials: true })` may send the session cookie, which is why
 * the origin is echoed and never `*`. https://fetch.spec.whatwg.org/#http-responses
 */
export function corsHeaders(policy: CorsPolicy, allowSecondOrigin: SecondOriginSwitch): RequestHandler {
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('Origin');
    if (origin !== undefined && policy.allows(origin, req.get('Host'), allowSecondOrigin(req))) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Credentials', 'true');
    }
    next();
  };
}

/**
 * The `OPTIONS` preflight a browser sends before a cross-origin request that is not "simple",
 * e.g. a fetch with `Authorization`. Always 204; the verdict is in the headers (none: refused).
 * `Access-Control-Max-Age: 0` so the browser asks again each time and the class sees the toggle
 * take effect at once. https://fetch.spec.whatwg.org/#cors-preflight-fetch
 */
export function corsPreflight(policy: CorsPolicy, allowSecondOrigin: SecondOriginSwitch): RequestHandler {
  return (req, res) => {
    res.vary('Origin');
    res.vary('Access-Control-Request-Method');
    res.vary('Access-Control-Request-Headers');
    const origin = req.get('Origin');
    const method = req.get('Access-Control-Request-Method');
    if (origin !== undefined && policy.allows(origin, req.get('Host'), allowSecondOrigin(req)) && (method === 'GET' || method === 'HEAD')) {
      const requested = (req.get('Access-Control-Request-Headers') ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter((name) => allowedRequestHeaders.includes(name));
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Credentials', 'true');
      res.set('Access-Control-Allow-Methods', 'GET');
      if (requested.length > 0) res.set('Access-Control-Allow-Headers', requested.join(', '));
      res.set('Access-Control-Max-Age', '0');
    }
    res.status(204).end();
  };
}
