import express, { type Request } from 'express';
import { Problem } from '../../problem.ts';
import { sseTransport } from '../../transports/sse.ts';
import { bufferedTransport } from '../../transports/buffered.ts';
import type { TransportContext } from '../../transports/transport.ts';
import { identify, requireAuth } from './auth.ts';
import { accessLogRoute } from './accessLogRoute.ts';
import { cachedRoute } from './cachedRoute.ts';
import { corsHeaders, corsPreflight } from './cors.ts';
import { HttpLab } from './httpLab.ts';
import { sessionCookie } from './sessions.ts';
import { learnerOf } from '../learner.ts';

/**
 * The HTTP features lab, under `/api/labs/http/`: SSE is plain HTTP, so everything an app
 * already puts in front of its routes applies to it, unchanged.
 * - `POST /login`, `POST /logout`: a demo session, as a cookie and as a bearer token.
 * - `GET /sse?…`, `GET /buffered?…`: the real streams behind auth middleware (401 without).
 * - `GET /log`: the access log every request here goes through, live, as SSE.
 * - `GET /cors/sse?…` (+ `OPTIONS`), `GET|PUT /cors`: a stream behind a CORS allow-list.
 * - `GET|PUT /ws-origin-check`: the lab WebSocket's Origin check, on or off.
 * The two switches are the requesting learner's own (`learnerOf` its cookies).
 * - `GET /cached?…`: the buffered reply with an ETag; `If-None-Match` gets 304.
 * The access log and the Origin check also serve the server's `'upgrade'` listener: pass the
 * same `lab` there (`lab.logUpgrade`, `lab.wsOriginAllows`).
 */
export function httpFeaturesRoutes(ctx: TransportContext, lab: HttpLab = new HttpLab()): express.Router {
  const routes = express.Router();
  // In front of everything here, as an app's global middleware would be.
  routes.use(identify(lab.sessions), lab.accessLog.middleware());

  routes.post('/login', (_req, res) => {
    const token = lab.sessions.create();
    res.cookie(sessionCookie, token, { httpOnly: true, sameSite: 'lax', path: '/' });
    res.set('Cache-Control', 'no-store').json({ token, tokenType: 'Bearer', cookie: sessionCookie });
  });
  routes.post('/logout', (req, res) => {
    lab.sessions.delete(lab.sessions.tokenOf(req.headers));
    res.clearCookie(sessionCookie, { httpOnly: true, sameSite: 'lax', path: '/' });
    res.status(204).end();
  });

  // Whether this browser's cookie is a live session: the page's Log in button starts right.
  routes.get('/session', (req, res) => {
    res.set('Cache-Control', 'no-store').json({ signedIn: lab.sessions.identify(req.headers).method !== 'none' });
  });
  routes.get('/sse', requireAuth, sseTransport(ctx));
  routes.get('/buffered', requireAuth, bufferedTransport(ctx));
  routes.get('/log', accessLogRoute(lab.accessLog, ctx));

  routes.options('/cors/sse', corsPreflight(lab.cors, lab.allowsSecondOrigin));
  routes.get('/cors/sse', corsHeaders(lab.cors, lab.allowsSecondOrigin), sseTransport(ctx));
  const corsState = (req: Request) => lab.cors.state(req.get('Host'), lab.allowsSecondOrigin(req));
  routes.get('/cors', (req, res) => void res.set('Cache-Control', 'no-store').json(corsState(req)));
  routes.put('/cors', json, (req, res) => {
    lab.set(learnerOf(req.headers), { allowSecondOrigin: booleanField(req, 'allowSecondOrigin') });
    res.json(corsState(req));
  });

  const wsOriginState = (req: Request) => ({ enabled: lab.settings(learnerOf(req.headers)).wsOriginCheck, allowedOrigins: lab.wsAllowedOrigins });
  routes.get('/ws-origin-check', (req, res) => void res.set('Cache-Control', 'no-store').json(wsOriginState(req)));
  routes.put('/ws-origin-check', json, (req, res) => {
    lab.set(learnerOf(req.headers), { wsOriginCheck: booleanField(req, 'enabled') });
    res.json(wsOriginState(req));
  });

  routes.get('/cached', cachedRoute(ctx));

  const router = express.Router();
  router.use('/api/labs/http', routes);
  return router;
}

// Any content type, so `curl -X PUT -d '{"enabled":false}'` works as typed. A page on another
// origin cannot PUT without a preflight, and nothing here answers one for these routes.
const json = express.json({ limit: '1kb', type: () => true });

function booleanField(req: Request, key: string): boolean {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Problem(400, `Send a JSON object like {"${key}": true}.`, 'body');
  }
  const value = (body as Record<string, unknown>)[key];
  if (typeof value !== 'boolean') throw new Problem(400, `Field "${key}" must be true or false; got ${JSON.stringify(value) ?? 'nothing'}.`, key);
  return value;
}
