import type { LaneClient } from '../transports/types.ts';
import { secureSseClient, sseClient } from '../transports/sse.ts';
import { websocketClient } from '../transports/websocket.ts';
import { bufferedClient } from '../transports/buffered.ts';
import { openaiClient } from '../transports/openai.ts';
import { anthropicClient } from '../transports/anthropic.ts';
import { chatHttpClient, chatWebSocketClient, stopSseClient, stopWebSocketClient } from '../transports/duplex.ts';
import { fetchSseClient } from '../transports/fetchSse.ts';
import type { OutgoingLeg } from '../../../shared/tap.ts';

export type LaneId =
  | 'sse'
  | 'sse-h2'
  | 'ws'
  | 'http'
  | 'openai'
  | 'anthropic'
  | 'lb-sse'
  | 'lb-ws'
  | 'drop-sse'
  | 'slow-sse'
  | 'proxy-sse'
  | 'accel-proxy-sse'
  | 'gzip-sse'
  | 'gzip-flush-sse'
  | 'idle-sse'
  | 'idle-hb-sse'
  | 'stop-ws'
  | 'stop-sse'
  | 'chat-ws'
  | 'chat-http'
  | 'auth-sse'
  | 'cached-http'
  | 'cut-fetch'
  | 'resume-fetch'
  | 'upstream'
  | 'inspect'
  | 'inspect-leg';

export interface LaneSpec {
  id: LaneId;
  title: string;
  /** What the page's code uses, in a few words. */
  how: string;
  /** The request path that marks this lane's connections in the tap. */
  path: string;
  /**
   * Opens its streams on the server's HTTPS origin (`run/secureOrigin.ts`): its requests are the
   * ones with this path that the tap saw inside TLS (HTTP/2, by ALPN).
   */
  secure?: true;
  client: LaneClient;
  /** Shown only with its lab (not among the default lanes' toggles); `upstream` and `inspect` with their panel or model. */
  lab?: 'lb' | 'faults' | 'http' | 'duplex' | 'upstream' | 'inspect';
  /**
   * The lane of connections Streamscope opens itself, as the client (the tap marks them with this
   * leg): the request it sent and the raw response it got. Such a lane has no page code of its own.
   */
  outgoing?: OutgoingLeg;
}

/** A lane with no code in the page: it shows what the server did as a client (its `outgoing` leg). */
const serverSide: LaneClient = () => Promise.resolve();

export const laneSpecs: readonly LaneSpec[] = [
  { id: 'sse', title: 'Server-Sent Events', how: 'EventSource · GET /api/stream/sse', path: '/api/stream/sse', client: sseClient() },
  {
    id: 'sse-h2',
    title: 'SSE over HTTP/2',
    how: 'EventSource · GET /api/stream/sse on the HTTPS port (HTTP/2 inside TLS)',
    path: '/api/stream/sse',
    secure: true,
    client: secureSseClient(),
  },
  { id: 'ws', title: 'WebSocket', how: 'WebSocket · /api/stream/ws', path: '/api/stream/ws', client: websocketClient() },
  { id: 'http', title: 'Buffered HTTP', how: 'fetch · GET /api/stream/http', path: '/api/stream/http', client: bufferedClient() },
  { id: 'openai', title: 'OpenAI-style', how: 'fetch POST + SSE parser · /v1/chat/completions', path: '/v1/chat/completions', client: openaiClient },
  { id: 'anthropic', title: 'Anthropic-style', how: 'fetch POST + SSE parser · /v1/messages', path: '/v1/messages', client: anthropicClient },
  {
    id: 'lb-sse',
    title: 'SSE via the balancer',
    how: 'EventSource · GET /lb/api/stream/sse',
    path: '/lb/api/stream/sse',
    client: sseClient('/lb/api/stream/sse'),
    lab: 'lb',
  },
  {
    id: 'lb-ws',
    title: 'WebSocket via the balancer',
    how: 'WebSocket · /lb/api/stream/ws',
    path: '/lb/api/stream/ws',
    client: websocketClient('/lb/api/stream/ws'),
    lab: 'lb',
  },
  {
    id: 'auth-sse',
    title: 'SSE behind auth',
    how: 'EventSource · GET /api/labs/http/sse (cookie)',
    path: '/api/labs/http/sse',
    client: sseClient('/api/labs/http/sse'),
    lab: 'http',
  },
  {
    id: 'cached-http',
    title: 'Buffered, cacheable',
    how: 'fetch twice · GET /api/labs/http/cached (ETag)',
    path: '/api/labs/http/cached',
    client: bufferedClient('/api/labs/http/cached', { revalidate: true }),
    lab: 'http',
  },
  {
    id: 'drop-sse',
    title: 'SSE, connection dropped',
    how: 'EventSource · cut after 15 tokens',
    path: '/api/labs/faults/sse',
    client: sseClient('/api/labs/faults/sse', { drop: '15' }),
    lab: 'faults',
  },
  {
    id: 'slow-sse',
    title: 'SSE over a slow link',
    how: 'EventSource · 1,000 B/s, +50 ms a write',
    path: '/api/labs/faults/slow/sse',
    client: sseClient('/api/labs/faults/slow/sse'),
    lab: 'faults',
  },
  {
    id: 'proxy-sse',
    title: 'SSE behind a buffering proxy',
    how: 'EventSource · proxy holds 4 KiB',
    path: '/api/labs/faults/buffering-proxy/sse',
    client: sseClient('/api/labs/faults/buffering-proxy/sse', { holdBytes: '4096' }),
    lab: 'faults',
  },
  {
    id: 'accel-proxy-sse',
    title: 'Proxy that honours X-Accel-Buffering',
    how: 'EventSource · same proxy, obeys "no"',
    path: '/api/labs/faults/accel-proxy/sse',
    client: sseClient('/api/labs/faults/accel-proxy/sse', { holdBytes: '4096' }),
    lab: 'faults',
  },
  {
    id: 'gzip-sse',
    title: 'SSE through gzip, no flush',
    how: 'EventSource · compression middleware',
    path: '/api/labs/faults/gzip/sse',
    client: sseClient('/api/labs/faults/gzip/sse'),
    lab: 'faults',
  },
  {
    id: 'idle-sse',
    title: 'SSE through an idle timeout, no heartbeats',
    how: 'EventSource · proxy hangs up after 3 s of quiet · heartbeat=0',
    path: '/api/labs/faults/idle-proxy/quiet/sse',
    client: sseClient('/api/labs/faults/idle-proxy/quiet/sse', {}, { giveUpAfter: 3 }),
    lab: 'faults',
  },
  {
    id: 'idle-hb-sse',
    title: 'Same proxy, with heartbeats',
    how: 'EventSource · ": keep-alive" after 2.5 s of quiet',
    path: '/api/labs/faults/idle-proxy/sse',
    client: sseClient('/api/labs/faults/idle-proxy/sse'),
    lab: 'faults',
  },
  {
    id: 'gzip-flush-sse',
    title: 'SSE through gzip, flushed',
    how: 'EventSource · res.flush() after each event',
    path: '/api/labs/faults/gzip-flushed/sse',
    client: sseClient('/api/labs/faults/gzip-flushed/sse'),
    lab: 'faults',
  },
  {
    id: 'stop-ws',
    title: 'WebSocket, stopped mid-reply',
    how: 'WebSocket · {"type":"stop"} up the same connection after 10 tokens',
    path: '/api/labs/duplex/stop/ws',
    client: stopWebSocketClient('/api/labs/duplex/stop/ws', 10),
    lab: 'duplex',
  },
  {
    id: 'stop-sse',
    title: 'SSE, stopped mid-reply',
    how: 'EventSource · a second request, POST, after 10 tokens',
    path: '/api/labs/duplex/stop/sse',
    client: stopSseClient('/api/labs/duplex/stop/sse', 10),
    lab: 'duplex',
  },
  {
    id: 'chat-ws',
    title: 'Small messages over a WebSocket',
    how: 'WebSocket · a frame up per word, its echo down',
    path: '/api/labs/duplex/ws',
    client: chatWebSocketClient('/api/labs/duplex/ws'),
    lab: 'duplex',
  },
  {
    id: 'chat-http',
    title: 'Small messages over HTTP',
    how: 'fetch · a POST per word, its echo in the response',
    path: '/api/labs/duplex/echo',
    client: chatHttpClient('/api/labs/duplex/echo'),
    lab: 'duplex',
  },
  // Lesson 11: fetch + a parser on the same cut stream, without and with a resume of its own.
  {
    id: 'cut-fetch',
    title: 'fetch, connection dropped',
    how: 'fetch + SSE parser · cut after 15 tokens',
    path: '/api/labs/faults/cut/sse',
    client: fetchSseClient('/api/labs/faults/cut/sse', { extra: { drop: '15' } }),
    lab: 'faults',
  },
  {
    id: 'resume-fetch',
    title: 'fetch that resumes itself',
    how: 'fetch + parser · again with Last-Event-ID',
    path: '/api/labs/faults/resume/sse',
    client: fetchSseClient('/api/labs/faults/resume/sse', { resume: true, extra: { drop: '15' } }),
    lab: 'faults',
  },
  // A real model behind Streamscope: the hop from Streamscope to the upstream, beside the hops to the browser.
  {
    id: 'upstream',
    title: 'Upstream leg (Streamscope → model)',
    how: 'Streamscope as the client · one POST per reply, read by every lane',
    path: 'outgoing:upstream',
    client: serverSide,
    lab: 'upstream',
    outgoing: 'upstream',
  },
  // Any SSE endpoint: the page's request to Streamscope, and Streamscope's to the URL.
  {
    id: 'inspect',
    title: 'Inspected stream (to the page)',
    how: 'fetch + SSE parser · GET /api/inspect/sse',
    path: '/api/inspect/sse',
    // Loaded when used: the target is page state (runes), and the lesson validator reads these specs at build time.
    client: async (...args) => (await import('../transports/inspect.ts')).inspectLane(...args),
    lab: 'inspect',
  },
  {
    id: 'inspect-leg',
    title: 'Inspected URL (Streamscope → server)',
    how: 'Streamscope as the client · the request as sent, the response as it came',
    path: 'outgoing:inspect',
    client: serverSide,
    lab: 'inspect',
    outgoing: 'inspect',
  },
];

export const laneIds = laneSpecs.map((l) => l.id);

export function laneSpec(id: LaneId): LaneSpec {
  return laneSpecs.find((l) => l.id === id)!;
}

/** Which lane a connection Streamscope opened belongs to, by its leg. */
export function laneOfLeg(leg: OutgoingLeg): LaneId | undefined {
  return laneSpecs.find((l) => l.outgoing === leg)?.id;
}

/** Which lane a tapped request belongs to, by its path, and whether it came over TLS to a page on plain HTTP (`secure`). */
export function laneOfPath(target: string, secure = false): LaneId | undefined {
  const path = target.split('?')[0];
  return laneSpecs.find((l) => l.path === path && Boolean(l.secure) === secure)?.id;
}

/** A lane's title: its own when it came from a HAR, else its spec's. */
export function laneTitle(lane: { id: LaneId; origin?: { title: string } | undefined }): string {
  return lane.origin?.title ?? laneSpec(lane.id).title;
}
