/**
 * Who a lab request is for. Every browser gets an opaque learner id in an HttpOnly cookie when it
 * loads the page, so its EventSource, fetch and WebSocket handshakes all carry it without a line
 * of page code; the labs keep their switches per learner (`LearnerStates`). A request without
 * the cookie (curl, a script, a test) is the anonymous learner: one lab state shared by every
 * cookieless client, which is how the labs behaved before they were per learner.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { cookieValue } from './httpFeatures/sessions.ts';

/** The cookie that names a learner. */
export const learnerCookie = 'streamscope-learner';

/** The learner of every request that carries no (well-formed) learner cookie. */
export const anonymousLearner = 'anonymous';

/** 16 random bytes, base64url: what `newLearnerId` makes, and all a learner cookie may hold. */
const idPattern = /^[A-Za-z0-9_-]{22}$/;

export function newLearnerId(): string {
  return randomBytes(16).toString('base64url');
}

/** The learner a request is for, from its `Cookie` header (or the headers): its id, or `anonymous`. */
export function learnerOf(headers: Pick<IncomingHttpHeaders, 'cookie'> | string | undefined): string {
  const header = typeof headers === 'string' || headers === undefined ? headers : headers.cookie;
  const id = cookieValue(header, learnerCookie);
  return id !== undefined && idPattern.test(id) ? id : anonymousLearner;
}

/**
 * `Set-Cookie` value for a new learner: HttpOnly (no page script needs it), `SameSite=Lax` (it
 * rides on same-site requests, so the second origin's page on another port of the same host
 * sends it too, with credentials), for the browser session.
 */
export function learnerSetCookie(id: string): string {
  return `${learnerCookie}=${id}; Path=/; HttpOnly; SameSite=Lax`;
}

/**
 * Hands a learner id to a browser that has none, on a page load (a navigation: `Accept` names
 * HTML). API requests without the cookie get none: they are the anonymous learner, so a `curl`
 * kill followed by a `curl` stream acts on one lab state, as the README's examples expect.
 */
export const giveLearnerId: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' && learnerOf(req.headers) === anonymousLearner && wantsPage(req.headers)) {
    res.append('Set-Cookie', learnerSetCookie(newLearnerId()));
  }
  next();
};

function wantsPage(headers: IncomingHttpHeaders): boolean {
  return headers['sec-fetch-mode'] === 'navigate' || (headers.accept ?? '').includes('text/html');
}
