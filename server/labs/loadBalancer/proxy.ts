import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Router, type RequestHandler, type Response } from 'express';
import { createProxyServer } from 'httpxy';
import { Problem, sendProblem } from '../../problem.ts';
import type { StreamLimiter } from '../../transports/streamLimiter.ts';
import { runOf, type WireTap } from '../../wiretap/wireTap.ts';
import type { LoadBalancer, Route } from './LoadBalancer.ts';
import { logModeHeader } from '../../../shared/loadBalancer.ts';

/** The path prefix under which the main origin forwards to the balanced instances. */
export const balancedPrefix = '/lb';

export interface ProxyOptions {
  /** Caps what one client address has open through the balancer (the main app's limiter). */
  limiter?: StreamLimiter;
}

export interface UpgradeOptions extends ProxyOptions {
  /** The main server's wire tap, told which run an upgrade belongs to (as app.ts does for its own). */
  tap?: WireTap;
}

/**
 * The proxy: httpxy (unjs), a maintained TypeScript fork of http-proxy. It pipes each upstream
 * response to the client as its bytes arrive, so an SSE token passes the balancer as soon as the
 * instance writes it. `agent: false`: one upstream connection per request, closed with it, so an
 * instance's open connections are exactly the requests it is serving and nothing idles in a pool.
 */
function createProxy() {
  const proxy = createProxyServer({ agent: false, xfwd: true, preserveHeaderKeyCase: true });
  proxy.on('proxyRes', (proxyRes) => {
    // The upstream connection closes after each request (no agent): that is no reason to close
    // the client's keep-alive connection to the main origin too.
    delete proxyRes.headers.connection;
  });
  // A tunnel's client socket destroyed (a learner's kill cuts it) ends no pipe: without this, the
  // instance would go on streaming into a tunnel nobody reads until its reply is over.
  proxy.on('proxyReqWs', (proxyReq, _req, socket) => {
    proxyReq.once('upgrade', (_res, upstream: Duplex) => {
      if (socket.destroyed) upstream.destroy();
      else socket.once('close', () => upstream.destroy());
    });
  });
  return proxy;
}

/**
 * `/lb/…` as Express routes: every request is forwarded, prefix stripped, to the instance the
 * balancer picks (`/lb/api/stream/sse?…` → `/api/stream/sse?…` on instance b). Mount on the main
 * app with `app.use(loadBalancerProxy(lb))`.
 */
export function loadBalancerProxy(lb: LoadBalancer, { limiter }: ProxyOptions = {}): Router {
  const proxy = createProxy();
  const handler: RequestHandler = (req, res) => {
    // Mounted at /lb, Express has already stripped the prefix from req.url.
    const route = lb.route(req.headers.cookie);
    if (!route) {
      res.set('Retry-After', '1');
      return void sendProblem(res, unavailable());
    }
    let release: (() => void) | undefined;
    try {
      release = limiter?.acquire(req.socket.remoteAddress);
    } catch (error) {
      if (error instanceof Problem) return void sendProblem(res, error);
      throw error;
    }
    if (route.setCookie) res.append('Set-Cookie', route.setCookie);
    const done = lb.open(route, res);
    res.once('close', () => {
      done();
      release?.();
    });
    proxy.web(req, res, { target: target(route), headers: logHeader(route) }).catch((error: NodeJS.ErrnoException) => failed(res, route, error));
  };
  const router = Router();
  router.use(balancedPrefix, handler);
  return router;
}

/** Handles an HTTP upgrade request; returns true if it took it. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, options?: UpgradeOptions) => boolean;

/**
 * An `'upgrade'` handler for `/lb/…` (the WebSocket at `/lb/api/stream/ws`): forwards the
 * handshake to the instance the balancer picks, then pipes the two sockets together, so the
 * tunnel lives exactly as long as that instance's connection. Returns whether it took the
 * request (false: not under `/lb/`, someone else's). `options` given per call win over these.
 */
export function loadBalancerUpgrade(lb: LoadBalancer, defaults: UpgradeOptions = {}): UpgradeHandler {
  const proxy = createProxy();
  return (req, socket, head, options) => {
    const { limiter, tap } = { ...defaults, ...options };
    const url = req.url ?? '';
    if (!url.startsWith(`${balancedPrefix}/`)) return false;
    tap?.assign(req, null, runOf(url));
    req.url = url.slice(balancedPrefix.length);
    socket.on('error', () => socket.destroy());
    const route = lb.route(req.headers.cookie);
    if (!route) return refuse(socket, unavailable());
    let release: (() => void) | undefined;
    try {
      release = limiter?.acquire(req.socket.remoteAddress);
    } catch (error) {
      if (error instanceof Problem) return refuse(socket, error);
      throw error;
    }
    const done = lb.open(route, socket);
    socket.once('close', () => {
      done();
      release?.();
    });
    proxy.ws(req, socket as never, { target: target(route), headers: logHeader(route) }, head).catch(() => socket.destroy());
    return true;
  };
}

/** Tells the instance where this learner's replies are logged (it overrides whatever the client sent). */
function logHeader(route: Route): Record<string, string> {
  return { [logModeHeader]: route.log };
}

function target(route: Route): { host: string; port: number } {
  return { host: '127.0.0.1', port: route.port };
}

function unavailable(): Problem {
  return new Problem(503, 'Every instance behind the load balancer is down for you. Revive one: POST /api/labs/lb/instances/a/revive');
}

/** The instance could not be reached (it died between the pick and the connect) or broke off. */
function failed(res: Response, route: Route, error: NodeJS.ErrnoException): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  sendProblem(res, new Problem(502, `Instance ${route.id} did not answer (${error.code ?? error.message}). Try again: the balancer picks a live one.`));
}

/** Answers an upgrade request with a problem+json and closes the socket. Returns true (handled). */
function refuse(socket: Duplex, problem: Problem): true {
  const body = JSON.stringify(problem.toJSON());
  const retry = problem.status === 503 ? 'Retry-After: 1\r\n' : '';
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retry}Connection: close\r\n\r\n${body}`,
  );
  return true;
}
