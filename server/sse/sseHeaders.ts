/**
 * The response head of every event stream, one frozen constant.
 * - `text/event-stream` is what makes EventSource parse the body as events.
 * - `no-cache`: a stream is never a cached copy.
 * - `X-Accel-Buffering: no` asks nginx-style proxies not to hold the body back.
 * No `Connection` header: Node sends `keep-alive` itself, unless the client asked to close.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#text/event-stream
 */
export const sseHeaders = Object.freeze({
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  'X-Accel-Buffering': 'no',
});
