import type { Segment, WireSummary } from './types.ts';

export function emptySummary(): WireSummary {
  return {
    bytes: { up: 0, down: 0 },
    firstByte: {},
    lastByte: {},
    byLayer: { http: 0, body: 0, chunked: 0, sse: 0, ws: 0, h2: 0, hpack: 0, tls: 0 },
    tokens: 0,
    payloadBytes: 0,
    framingBytes: 0,
  };
}

/**
 * Adds `segments` (leaves in the order the dissector released them) to `summary`, in place, so
 * a live lane can keep one summary up to date in O(new leaves).
 */
export function addToSummary(summary: WireSummary, segments: Iterable<Segment>): WireSummary {
  for (const s of segments) {
    summary.bytes[s.dir] += s.length;
    summary.byLayer[s.layer] += s.length;
    summary.firstByte[s.dir] = Math.min(summary.firstByte[s.dir] ?? Infinity, s.t);
    summary.lastByte[s.dir] = Math.max(summary.lastByte[s.dir] ?? -Infinity, s.t);
    summary.payloadBytes += s.payloadBytes ?? 0;
    if (s.token !== undefined && (s.part === 'whole' || s.part === 'last')) {
      summary.tokens++;
      summary.firstToken = Math.min(summary.firstToken ?? Infinity, s.t);
      summary.lastToken = Math.max(summary.lastToken ?? -Infinity, s.t);
    }
  }
  summary.framingBytes = summary.bytes.up + summary.bytes.down - summary.payloadBytes;
  return summary;
}

/** Figures for a lane: bytes each way and per layer, first and last byte and token, reply text vs framing. */
export function summarize(segments: Iterable<Segment>): WireSummary {
  return addToSummary(emptySummary(), segments);
}
