import { headerValue } from './httpHead.ts';
import type { HttpHead, RequestHead, ResponseHead } from './types.ts';

/** How the bytes after a head are delimited. */
export type Framing =
  | { type: 'none' }
  | { type: 'length'; length: number }
  | { type: 'chunked' }
  /** A response body that lasts until the connection closes. */
  | { type: 'close' }
  /**
   * `101 Switching Protocols` to WebSocket: frames from the next byte on, both ways. `deflate`: the
   * server accepted permessage-deflate (RFC 7692), which gives RSV1 a meaning.
   */
  | { type: 'websocket'; deflate?: boolean }
  /** Bytes of some other protocol (a non-WebSocket upgrade, or a CONNECT tunnel). */
  | { type: 'tunnel' }
  | { type: 'error'; why: string };

/** The body length rules of RFC 9112 §6.3 shared by requests and responses (items 3–6). */
function bodyFraming(head: HttpHead): Framing | undefined {
  const te = headerValue(head, 'transfer-encoding');
  if (te !== undefined) {
    // Transfer-Encoding wins over Content-Length; chunked must be the final coding (§6.3 items 3–4).
    const codings = te.split(',').map((c) => c.trim().toLowerCase());
    if (codings.at(-1) === 'chunked') return { type: 'chunked' };
    return head.type === 'request' ? { type: 'error', why: 'a request whose final transfer coding is not chunked' } : { type: 'close' };
  }
  const cl = headerValue(head, 'content-length');
  if (cl === undefined) return undefined;
  const values = new Set(cl.split(',').map((v) => v.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d+$/.test(only)) {
    return { type: 'error', why: `an invalid Content-Length "${cl}"` };
  }
  const length = Number(only);
  return length === 0 ? { type: 'none' } : { type: 'length', length };
}

/** Item 7: a request with neither Transfer-Encoding nor Content-Length has no body. https://www.rfc-editor.org/rfc/rfc9112#section-6.3 */
export function requestFraming(head: RequestHead): Framing {
  return bodyFraming(head) ?? { type: 'none' };
}

/**
 * Items 1, 2 and 8: no body after HEAD, 1xx, 204, 304; a tunnel after 2xx to CONNECT; without
 * length framing, the body runs until the connection closes. `method` is the request's, if seen.
 * https://www.rfc-editor.org/rfc/rfc9112#section-6.3
 */
export function responseFraming(head: ResponseHead, method: string | undefined): Framing {
  if (head.status === 101) {
    if (!/^websocket$/i.test(headerValue(head, 'upgrade')?.trim() ?? '')) return { type: 'tunnel' };
    const extensions = headerValue(head, 'sec-websocket-extensions') ?? '';
    return /(^|,)\s*permessage-deflate\s*(;|,|$)/i.test(extensions) ? { type: 'websocket', deflate: true } : { type: 'websocket' };
  }
  if (method === 'HEAD' || head.status < 200 || head.status === 204 || head.status === 304) return { type: 'none' };
  if (method === 'CONNECT' && head.status < 300) return { type: 'tunnel' };
  return bodyFraming(head) ?? { type: 'close' };
}

/** Whether a request asks to switch protocols (RFC 9110 §7.8), so what follows it waits for the answer. */
export function asksUpgrade(head: RequestHead): boolean {
  return headerValue(head, 'upgrade') !== undefined && /\bupgrade\b/i.test(headerValue(head, 'connection') ?? '');
}

/** `text/event-stream`, parameters aside (WHATWG HTML §9.2.6). */
export function isEventStream(head: HttpHead): boolean {
  return (headerValue(head, 'content-type')?.split(';')[0]?.trim().toLowerCase() ?? '') === 'text/event-stream';
}

/**
 * The content codings applied to the body (`gzip`, `br`, `gzip, br`…), or undefined when it is
 * sent as is. A coded body is not the media type's bytes until the reader decodes it: a
 * compressed event stream has no SSE fields on the wire (RFC 9110 §8.4).
 */
export function contentCoding(head: HttpHead): string | undefined {
  const codings = (headerValue(head, 'content-encoding') ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  return codings.length > 0 ? codings.join(', ') : undefined;
}
