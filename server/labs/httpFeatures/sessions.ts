import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthMethod } from '../../../shared/accessLog.ts';

/** The demo login's cookie. */
export const sessionCookie = 'streamscope_session';

export interface Identity {
  method: AuthMethod;
  /** A session cookie came with the request (valid or not): browsers send it on WebSocket handshakes too. */
  cookie: boolean;
  /** An `Authorization: Bearer …` header came with it (valid or not). */
  bearer: boolean;
}

/**
 * The demo login's sessions: random tokens held in memory, good as a cookie value or as a
 * bearer token. Not a real login: there is no user and no password, only the proof that the
 * middleware in front of a stream can read either.
 */
export class Sessions {
  readonly #tokens = new Set<string>();
  readonly #max: number;

  /** @param max sessions kept; the oldest is forgotten past it (a class logging in and out all day). */
  constructor(max = 1000) {
    this.#max = max;
  }

  create(): string {
    const token = randomBytes(18).toString('base64url');
    this.#tokens.add(token);
    if (this.#tokens.size > this.#max) this.#tokens.delete(this.#tokens.values().next().value as string);
    return token;
  }

  delete(token: string | undefined): void {
    if (token !== undefined) this.#tokens.delete(token);
  }

  /** Who a request is: a valid bearer token first (it was sent on purpose), then the cookie. */
  identify(headers: IncomingHttpHeaders): Identity {
    const bearer = bearerToken(headers.authorization);
    const cookie = cookieValue(headers.cookie, sessionCookie);
    const method = bearer !== undefined && this.#tokens.has(bearer) ? 'bearer' : cookie !== undefined && this.#tokens.has(cookie) ? 'cookie' : 'none';
    return { method, cookie: cookie !== undefined, bearer: bearer !== undefined };
  }

  /** The session token a request carries, valid or not (for logout). */
  tokenOf(headers: IncomingHttpHeaders): string | undefined {
    return bearerToken(headers.authorization) ?? cookieValue(headers.cookie, sessionCookie);
  }
}

/** The value of one cookie in a `Cookie` header. https://www.rfc-editor.org/rfc/rfc6265#section-5.4 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of header?.split(';') ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** The token of an `Authorization: Bearer <token>` header. https://www.rfc-editor.org/rfc/rfc6750#section-2.1 */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header ?? '');
  return match?.[1];
}
