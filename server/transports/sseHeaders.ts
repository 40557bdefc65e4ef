/**
 * The response head of every event stream, one frozen constant.
 * - `text/event-stream` is what makes EventSource parse the body as events.
 * - `no-cache`: a stream is never a cached copy.
 * - `X-Accel-Buffering: no` asks nginx-style proxies not to hold the body back.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#text/event-stream
 */
export const sseHeaders = Object.freeze({
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
});
