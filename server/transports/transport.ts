import type { ServerResponse } from 'node:http';
import type { StreamLimiter } from './streamLimiter.ts';

/**
 * What every transport is given. Each transport (sse.ts, buffered.ts, websocket.ts, openai.ts)
 * takes a paced token iterable from the model and writes it in its own wire format; this is
 * everything else they share.
 */
export interface TransportContext {
  limiter: StreamLimiter;
  /** ms of silence after which an SSE stream sends a `:` comment. */
  heartbeatMs: number;
  /** The `retry:` hint SSE streams send, in ms. */
  retryMs: number;
}

/**
 * Writes and waits while the socket's buffer is full, so a slow reader slows the stream
 * instead of growing the server's memory. Resolves at once on a closed response.
 */
export function send(res: ServerResponse, text: string): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  if (res.write(text)) return Promise.resolve();
  return drained(res);
}

/** Resolves on the stream's next `drain`, or when it closes (then nothing will drain). */
export function drained(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const go = (): void => {
      stream.off('drain', go);
      stream.off('close', go);
      resolve();
    };
    stream.on('drain', go);
    stream.on('close', go);
  });
}
