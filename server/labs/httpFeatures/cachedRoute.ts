import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { parseSettings } from '../../model/settings.ts';
import { replyFor, summarize, type Reply } from '../../model/reply.ts';
import { pacedResponse, type TransportContext } from '../../transports/transport.ts';

/** May be stored by the browser only, and must be revalidated before each use. https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2 */
export const cachedCacheControl = 'private, max-age=0, must-revalidate';

/** The body of the buffered answer, the same JSON as `GET /api/stream/http`. */
export function cachedBody(reply: Reply): Buffer {
  const { characters, plannedMs } = summarize(reply);
  return Buffer.from(JSON.stringify({ text: reply.text, tokens: reply.tokens, characters, plannedMs }));
}

/** A strong validator: a hash of the exact bytes, so equal tags mean byte-equal bodies. https://www.rfc-editor.org/rfc/rfc9110#section-8.8.3 */
export function strongEtag(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * Whether an `If-None-Match` header matches the tag. The comparison is the weak one, as RFC 9110
 * asks for this header: `W/"x"` matches `"x"`. https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => tag.replace(/^W\//, '') === opaque);
}

/**
 * `GET /api/labs/http/cached?…`: the buffered reply as a cacheable resource. The browser may
 * keep it but must ask again each time; it asks with `If-None-Match`, and a matching tag gets
 * `304 Not Modified` with no body. Same settings, same reply: the tag is known before any
 * generation, so the 304 comes at once. (A real model's reply differs each time; a real server
 * would tag it after generating, and a 304 would save only the bytes.)
 */
export function cachedRoute(ctx: TransportContext): RequestHandler {
  return async (req, res) => {
    const reply = replyFor(parseSettings(req.query));
    const body = cachedBody(reply);
    const etag = strongEtag(body);
    const validators = { ETag: etag, 'Cache-Control': cachedCacheControl };
    if (ifNoneMatchHits(req.get('If-None-Match'), etag)) {
      res.writeHead(304, validators);
      res.end();
      return;
    }

    const tokens = (await pacedResponse(ctx, req, res, reply, 'cached')).reader;
    // Nothing leaves before the last token is generated: the same wait as /api/stream/http.
    for await (const _token of tokens);
    if (res.destroyed) return;
    res.writeHead(200, { ...validators, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  };
}
