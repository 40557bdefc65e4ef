import type { Segment, SegmentKind } from '../wire/types.ts';

/** What the page's messages up cost on the wire, from a lane's dissected bytes. */
export interface MessageCosts {
  /** Messages up: WebSocket data frames (not close, ping or pong), or HTTP requests (the WebSocket handshake not counted). */
  messages: number;
  /** Bytes of framing per message up: frame header and mask key, or request line, headers and blank line. */
  framingPerMessage: number;
  /** Bytes of payload per message up: the frame's payload, or the request body. */
  payloadPerMessage: number;
  /** Bytes of the WebSocket handshake requests, paid once per connection (0 on plain HTTP). */
  handshake: number;
  /** Framing plus payload of the last message up (in the stop demo: the stop itself). */
  lastMessage: number;
}

const framing: ReadonlySet<SegmentKind> = new Set([
  'request-line',
  'header',
  'head-end',
  'ws-fin-opcode',
  'ws-mask-len',
  'ws-ext-len',
  'ws-mask-key',
  'chunk-size',
  'chunk-crlf',
  'chunk-last',
  'chunk-end',
]);

type UpSegment = Pick<Segment, 'dir' | 'kind' | 'length' | 'exchange' | 'frame' | 'part'> & { conn: number; bytes: Uint8Array };

interface Message {
  framing: number;
  payload: number;
  /** A WebSocket control frame (close, ping, pong): the connection's, not the app's. */
  control: boolean;
}

/**
 * Sorts a lane's upward bytes into messages, one per WebSocket frame or HTTP request, and sums
 * each one's framing and payload. A request on a connection that then carries WebSocket frames
 * is its handshake, counted apart (paid once). Null when nothing went up.
 */
export function messageCosts(segments: readonly UpSegment[]): MessageCosts | null {
  const upgraded = new Set<number>();
  for (const s of segments) if (s.dir === 'up' && s.frame !== undefined) upgraded.add(s.conn);

  const messages = new Map<string, Message>();
  let handshake = 0;
  for (const s of segments) {
    if (s.dir !== 'up') continue;
    const isFrame = s.frame !== undefined;
    if (!isFrame && upgraded.has(s.conn)) {
      handshake += s.length;
      continue;
    }
    const key = isFrame ? `${s.conn}:f${s.frame}` : `${s.conn}:x${s.exchange ?? 0}`;
    let message = messages.get(key);
    if (!message) messages.set(key, (message = { framing: 0, payload: 0, control: false }));
    // The opcode is the low 4 bits of a frame's first byte; 8 and above are control frames.
    if (s.kind === 'ws-fin-opcode' && s.bytes.length > 0 && (s.bytes[0]! & 0x0f) >= 8) message.control = true;
    if (framing.has(s.kind)) message.framing += s.length;
    else message.payload += s.length;
  }
  const data = [...messages.values()].filter((m) => !m.control);
  if (data.length === 0 && handshake === 0) return null;
  const sum = (f: (m: Message) => number): number => data.reduce((total, m) => total + f(m), 0);
  const last = data.at(-1);
  return {
    messages: data.length,
    framingPerMessage: data.length ? sum((m) => m.framing) / data.length : 0,
    payloadPerMessage: data.length ? sum((m) => m.payload) / data.length : 0,
    handshake,
    lastMessage: last ? last.framing + last.payload : 0,
  };
}
