import type { RequestHandler } from 'express';
import { parseSettings } from '../../model/settings.ts';
import { replyFor } from '../../model/reply.ts';
import type { TransportContext } from '../../transports/transport.ts';
import { integerParam } from './params.ts';
import { streamSse, writableSink } from '../../transports/sse.ts';
import { ThrottledWritable } from './throttledWritable.ts';

/** Bounds of the fault parameters of `GET /api/labs/faults/sse`. */
export const faultBounds = {
  /** Tokens per connection before it is cut. */
  drop: { min: 1, max: 100_000 },
  /** Bytes per second. */
  throttle: { min: 1, max: 10_000_000 },
  /** ms per write. */
  latency: { min: 0, max: 10_000 },
} as const;

/** What each fault parameter is when the request leaves it out. */
export interface FaultDefaults {
  throttle?: number | null;
  latency?: number;
}

/**
 * The defaults of `GET /api/labs/faults/slow/sse`: a slow link that cuts most ~55-byte token
 * events into two chunks (1,000 B/s in 50 ms slices: 50 bytes a slice, which in Japanese text
 * often ends inside a 3-byte character) and holds each write back 50 ms, so at the default 20
 * tokens a second the lane falls further behind with every token.
 */
export const slowLink = { throttle: 1000, latency: 50 } as const satisfies FaultDefaults;

/**
 * `GET /api/labs/faults/sse?drop=N&throttle=B&latency=ms&…`: the normal SSE stream with faults
 * between it and the socket, each optional and combinable:
 * - `drop=N` cuts the connection after N tokens. EventSource reconnects after `retry:` ms with
 *   `Last-Event-ID` and this endpoint resumes like the normal one, so the reply arrives whole
 *   over several connections (N more tokens each, since the reconnect asks for the same URL).
 * - `throttle=B` lets B bytes a second through, in slices: an event spans several chunks.
 * - `latency=ms` holds every write back that long (heartbeats included).
 */
export function faultySseRoute(ctx: TransportContext, defaults: FaultDefaults = {}): RequestHandler {
  return async (req, res) => {
    const reply = replyFor(parseSettings(req.query, Object.keys(faultBounds)));
    const dropAfter = integerParam(req.query, 'drop', faultBounds.drop, null);
    const bytesPerSecond = integerParam(req.query, 'throttle', faultBounds.throttle, defaults.throttle ?? null);
    const latencyMs = integerParam(req.query, 'latency', faultBounds.latency, defaults.latency ?? 0);
    const wire = new ThrottledWritable(res, { bytesPerSecond, latencyMs });
    await streamSse(req, res, ctx, reply, writableSink(wire), { dropAfter });
  };
}
