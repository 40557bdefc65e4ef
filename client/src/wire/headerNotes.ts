import type { Direction } from './types.ts';

export interface HeaderNote {
  explain: string;
  /** The value changes from run to run even with the same settings. */
  varying?: boolean;
}

type Explain = (value: string, dir: Direction) => string | HeaderNote;

/**
 * One sentence per header that matters for streaming, keyed by lower-case name.
 * Specs: RFC 9110 (semantics), RFC 9111 (caching), RFC 9112 (HTTP/1.1), RFC 6455 §4 (WebSocket
 * handshake), WHATWG HTML §9.2 (SSE).
 */
const notes: Record<string, Explain> = {
  'content-type': (v) =>
    /^text\/event-stream\b/i.test(v)
      ? 'text/event-stream tells the browser the body is a stream of Server-Sent Events, read line by line as it arrives (WHATWG HTML §9.2).'
      : `The media type of the body: ${v.split(';')[0]?.trim() ?? v} (RFC 9110 §8.3).`,
  'transfer-encoding': (v) =>
    /chunked/i.test(v)
      ? 'chunked: the body comes in chunks, each announced by its size, so it can be sent before its total length is known (RFC 9112 §7.1).'
      : 'How the body is encoded for transfer (RFC 9112 §6.1).',
  'content-length': (v) => `The body is exactly ${v} bytes: the reader knows the message is complete when it has them all (RFC 9112 §6.2).`,
  'cache-control': (v) => cacheControlNote(v),
  connection: (v) =>
    /upgrade/i.test(v)
      ? 'Connection: Upgrade marks the Upgrade header as meant for this hop: switch this connection to another protocol (RFC 9110 §7.6.1).'
      : /close/i.test(v)
        ? 'The connection closes after this message (RFC 9112 §9.6).'
        : 'keep-alive: keep the TCP connection open for further requests (RFC 9112 §9.3).',
  'keep-alive': () => 'How long the server keeps an idle connection open for the next request (timeout in seconds).',
  upgrade: (v, dir) =>
    dir === 'up'
      ? `The client asks to switch this connection from HTTP to ${v} (RFC 9110 §7.8, RFC 6455 §4.1).`
      : `The server agrees: from the next byte on, this connection speaks ${v} (RFC 6455 §4.2.2).`,
  'sec-websocket-key': () => ({
    explain: '16 random bytes, base64: the server must prove it read them, so a plain HTTP server cannot be tricked into a WebSocket (RFC 6455 §4.1).',
    varying: true,
  }),
  'sec-websocket-accept': () => ({
    explain: "base64(SHA-1(key + the RFC's fixed GUID)): proof that this server understood the WebSocket handshake (RFC 6455 §4.2.2).",
    varying: true,
  }),
  'sec-websocket-version': () => 'The WebSocket protocol version; 13 is RFC 6455, the only one in use (RFC 6455 §4.1).',
  'sec-websocket-extensions': () => 'Extensions offered or accepted, e.g. permessage-deflate compression (RFC 6455 §9, RFC 7692).',
  'sec-websocket-protocol': (_v, dir) =>
    dir === 'up'
      ? 'Subprotocols the page offers: new WebSocket(url, protocols) sets this header, the only one the browser API can set, so some services carry a token in it (RFC 6455 §1.9, §4.1).'
      : 'The subprotocol the server picked from those the client offered (RFC 6455 §4.2.2).',
  'x-accel-buffering': () => 'no: asks a buffering proxy such as nginx to pass each chunk on at once instead of collecting the whole response.',
  'last-event-id': () => 'The id of the last SSE event the browser got before reconnecting, so the server can resume after it (WHATWG HTML §9.2.4).',
  date: () => ({ explain: 'When the server sent the response; it differs on every run (RFC 9110 §6.6.1).', varying: true }),
  host: () => 'Which site this request is for; required in HTTP/1.1 (RFC 9112 §3.2).',
  accept: (v) =>
    /text\/event-stream/i.test(v)
      ? 'EventSource sends Accept: text/event-stream; the server answers with an event stream.'
      : 'Media types the client can take (RFC 9110 §12.5.1).',
  origin: () => 'The page that made the request: CORS checks it for fetch, but for a WebSocket checking it is up to the server (RFC 6455 §10.2).',
  cookie: () => 'Cookies the browser sends along — on SSE requests and on the WebSocket handshake alike (RFC 6265).',
  authorization: () => 'Credentials; fetch can set this header, EventSource and the browser WebSocket API cannot (RFC 9110 §11.6.2).',
  'content-encoding': () => 'The body is compressed; a compressing proxy or middleware can hold back a stream (RFC 9110 §8.4).',
  'x-streamscope-reply': () =>
    "Streamscope's id for this reply in its reply log: the generation writes tokens there and this response reads them; GET /api/replies/<id> shows the log, and a resume reads it from Last-Event-ID.",
  'x-powered-by': () => 'Express announces itself; harmless here, often removed in production.',
  etag: () => 'A validator for the buffered body, so a cache can ask whether it changed (RFC 9110 §8.8.3).',
  'access-control-allow-origin': () => 'CORS: which other origins may read this response with fetch or EventSource.',
};

/** What each Cache-Control directive asks of caches (RFC 9111 §5.2.2), in the order the header lists them. */
const cacheDirectives: Record<string, (arg: string | undefined) => string> = {
  'no-store': () => 'no-store: no cache may keep a copy at all (§5.2.2.5)',
  'no-cache': () =>
    'no-cache: a cache may keep a copy, but must ask the server before every reuse (§5.2.2.4); for a stream, asking again means a new request and a fresh stream',
  private: () => 'private: only the browser’s own cache may keep it, no shared cache (§5.2.2.7)',
  public: () => 'public: shared caches may keep it too (§5.2.2.9)',
  'max-age': (arg) => `max-age=${arg ?? '?'}: fresh for ${arg ?? '?'} s, then stale (§5.2.2.1)`,
  'must-revalidate': () => 'must-revalidate: once stale, not to be reused without asking the server (§5.2.2.2)',
  'no-transform': () => 'no-transform: proxies must not change the body, compressing it included (§5.2.2.6)',
};

/** Cache-Control, directive by directive: `no-cache` stores and revalidates; only `no-store` forbids storing. */
export function cacheControlNote(value: string): string {
  const parts = value
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((directive) => {
      const [name = '', arg] = directive.split('=', 2);
      return cacheDirectives[name.toLowerCase()]?.(arg?.replace(/^"|"$/g, '')) ?? `${directive} (§5.2)`;
    });
  return `How caches may keep and reuse this response (RFC 9111): ${parts.join('; ')}.`;
}

/** The explanation for a header line, and whether its value varies between runs. */
export function headerNote(name: string, value: string, dir: Direction): HeaderNote {
  const note = notes[name.toLowerCase()]?.(value, dir);
  if (note === undefined) return { explain: `The ${name} header field: name, colon, value, CRLF (RFC 9112 §5).` };
  return typeof note === 'string' ? { explain: note } : note;
}
