import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { bearerToken, cookieValue } from '../labs/httpFeatures/sessions.ts';

/** The cookie the presenter's browser gets after opening the printed presenter URL. */
export const presenterCookie = 'streamscope-presenter';

/**
 * Who may drive the class: whoever holds the token printed in the server's terminal. It proves
 * itself with `Authorization: Bearer <token>` (scripts, tests) or the `streamscope-presenter`
 * cookie that `GET /present?token=…` sets in the presenter's browser.
 */
export class Presenter {
  readonly token: string;

  constructor(token: string = randomBytes(9).toString('base64url')) {
    this.token = token;
  }

  /** Whether this string is the token, compared in constant time. */
  matches(candidate: string | undefined | null): boolean {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Whether this request comes from the presenter (bearer token or cookie). */
  isPresenter(req: Pick<IncomingMessage, 'headers'>): boolean {
    return this.matches(bearerToken(req.headers.authorization)) || this.matches(cookieValue(req.headers.cookie, presenterCookie));
  }
}
