import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { Problem } from '../problem.ts';
import type { Presenter } from '../classroom/presenter.ts';
import type { WireTap } from '../wiretap/wireTap.ts';
import type { StreamLimiter } from '../transports/streamLimiter.ts';
import { runOf } from '../wiretap/wireTap.ts';
import { OutgoingError, sendOutgoing } from '../upstream/outgoing.ts';
import { checkUrl, guardedLookup, inspectLimits, parseInspect, redirectRefusal, type InspectLimits, type InspectTarget } from './inspectGuard.ts';

export interface InspectOptions {
  tap: WireTap;
  limiter: StreamLimiter;
  /** Classroom mode: only the presenter may inspect, and link-local addresses are refused. */
  classroom: boolean;
  presenter: Presenter;
  limits?: Partial<InspectLimits> | undefined;
}

/** Response headers that belong to one connection, not to the message: not relayed (Node writes its own framing). */
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authenticate']);
/** Not relayed either: another site's cookies must not land on this origin, nor its policies. */
const notRelayed = new Set(['set-cookie', 'content-security-policy', 'strict-transport-security', 'alt-svc', 'clear-site-data']);

/**
 * `GET /api/inspect/sse?url=…` (with `method`, `body`, `header`, `redirects`, `run`): opens the URL
 * from the server, with both legs in the wire tap (the inspected one marked `outgoing: "inspect"`),
 * and relays the response as it came: status, headers (but the connection's own), bytes
 * (compressed or not). Guarded (`inspectGuard.ts`): every refusal is a problem+json naming why.
 */
export function inspectRoute({ tap, limiter, classroom, presenter, limits: given = {} }: InspectOptions): RequestHandler {
  const limits = { ...inspectLimits, ...given };
  const mode = { classroom };
  return async (req, res) => {
    if (classroom && !presenter.isPresenter(req))
      throw new Problem(403, 'In classroom mode only the presenter may inspect a URL: the server would make requests for anyone on the network.');
    const target = parseInspect(req.query as Record<string, unknown>, mode);
    const release = limiter.acquire(req.socket.remoteAddress);
    const abort = new AbortController();
    const total = setTimeout(() => abort.abort(), limits.totalMs);
    res.on('close', () => {
      clearTimeout(total);
      abort.abort();
      release();
    });
    const run = runOf(req.originalUrl);
    const upstream = await open(target, {
      signal: abort.signal,
      tap: { tap, leg: 'inspect', run: run === 'skip' ? null : run, owner: req.socket.remoteAddress ?? '' },
      mode,
      limits,
    });
    if (!upstream) return;
    if (res.destroyed) return void upstream.destroy();
    relay(upstream, res, limits.maxBytes, abort.signal);
  };
}

/** Opens the target, following the redirects its policy allows; null when the client left meanwhile. */
async function open(
  target: InspectTarget,
  { signal, tap, mode, limits }: { signal: AbortSignal; tap: Parameters<typeof sendOutgoing>[0]['tap']; mode: { classroom: boolean }; limits: InspectLimits },
): Promise<IncomingMessage | null> {
  let { url, method, body } = target;
  for (let redirects = 0; ; redirects++) {
    let response: IncomingMessage;
    try {
      response = await sendOutgoing({
        url,
        method,
        headers: {
          ...Object.fromEntries(target.headers.map(([name, value]) => [name, value])),
          ...(body !== null && !target.headers.some(([n]) => n.toLowerCase() === 'content-type') ? { 'Content-Type': 'application/json' } : {}),
          ...(body !== null ? { 'Content-Length': Buffer.byteLength(body) } : {}),
        },
        ...(body !== null ? { body } : {}),
        signal,
        tap,
        lookup: guardedLookup(mode),
        headTimeoutMs: limits.headMs,
        idleTimeoutMs: limits.idleMs,
      });
    } catch (error) {
      if (signal.aborted) return null;
      const status = error instanceof OutgoingError ? error.status : 502;
      const message = error instanceof Error ? error.message : String(error);
      throw new Problem(status, status === 403 ? `Parameter "url": ${message}` : `Could not inspect ${url.origin}: ${message}.`, 'url');
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status < 300 || status >= 400 || location === undefined || target.redirects === 'none') return response;
    response.destroy();
    if (redirects >= limits.redirectsMax) throw new Problem(502, `The URL redirected more than ${limits.redirectsMax} times.`, 'url');
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new Problem(502, `The URL redirects to ${JSON.stringify(location.slice(0, 200))}, which is not a URL.`, 'url');
    }
    const why = redirectRefusal(url, next, target.redirects);
    if (why) throw new Problem(502, why, 'redirects');
    checkUrl(next, mode);
    // 303 (and 301/302 after a POST, as browsers do) turn into a GET without a body.
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      method = 'GET';
      body = null;
    }
    url = next;
  }
}

/** Relays the response as it came; past `maxBytes` (or the time limit) the stream is cut, as the inspected server's own cut would be. */
function relay(upstream: IncomingMessage, res: import('express').Response, maxBytes: number, signal: AbortSignal): void {
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < upstream.rawHeaders.length; i += 2) {
    const name = upstream.rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || notRelayed.has(lower)) continue;
    headers.push([name, upstream.rawHeaders[i + 1]!]);
  }
  // Another site's bytes on this origin: never rendered as a page, never sniffed into one.
  headers.push(['X-Content-Type-Options', 'nosniff'], ['Content-Security-Policy', "sandbox; default-src 'none'"]);
  res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, headers.flat());
  res.flushHeaders();
  let bytes = 0;
  const cut = (): void => {
    upstream.destroy();
    res.destroy();
  };
  signal.addEventListener('abort', cut, { once: true });
  upstream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxBytes) return cut();
    if (!res.write(chunk)) upstream.pause();
  });
  res.on('drain', () => upstream.resume());
  upstream.on('end', () => res.end());
  // Cut mid-stream: the page's leg is cut the same way (no terminating chunk).
  upstream.on('error', cut);
  upstream.on('aborted', cut);
}
