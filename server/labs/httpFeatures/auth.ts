import type { RequestHandler, Response } from 'express';
import { Problem } from '../../problem.ts';
import { sessionCookie, type Identity, type Sessions } from './sessions.ts';

/** The identity `identify` found, for the handlers and the access log after it. */
export function identityOf(res: Response): Identity {
  return (res.locals.identity as Identity | undefined) ?? { method: 'none', cookie: false, bearer: false };
}

/** Reads who the request is (cookie, bearer token or nobody) into `res.locals.identity`. */
export function identify(sessions: Sessions): RequestHandler {
  return (req, res, next) => {
    res.locals.identity = sessions.identify(req.headers);
    next();
  };
}

/**
 * Lets through only requests with a session, by cookie or bearer token; others get 401 with a
 * `WWW-Authenticate` challenge. An SSE stream is a plain GET, so this ordinary middleware
 * guards it like any other route. https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export const requireAuth: RequestHandler = (_req, res, next) => {
  const identity = identityOf(res);
  if (identity.method !== 'none') return next();
  const challenge = identity.bearer ? 'Bearer realm="streamscope", error="invalid_token"' : 'Bearer realm="streamscope"';
  res.set('WWW-Authenticate', challenge);
  const why = identity.bearer || identity.cookie ? 'The session is unknown or over (logged out, or the server restarted).' : 'This stream needs a session.';
  throw new Problem(401, `${why} POST /api/labs/http/login, then send its cookie (${sessionCookie}) or the header "Authorization: Bearer <token>".`);
};
