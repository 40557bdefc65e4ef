/** Which colour and drawing each segment kind gets in the byte view. */
import type { LaneSegment } from '../../run/Run.svelte.ts';
import type { SegmentKind } from '../../wire/types.ts';

/** Which `--seg-*` colour a kind gets. */
export type Category = 'head' | 'header' | 'framing' | 'field' | 'payload' | 'comment' | 'mask' | 'error';

const categories: Record<SegmentKind, Category> = {
  'request-line': 'head',
  'status-line': 'head',
  header: 'header',
  trailer: 'header',
  'empty-line': 'framing',
  'head-end': 'framing',
  body: 'payload',
  opaque: 'comment',
  'chunk-size': 'framing',
  'chunk-data': 'payload',
  'chunk-crlf': 'framing',
  'chunk-last': 'framing',
  'chunk-end': 'framing',
  'sse-bom': 'framing',
  'sse-field': 'field',
  'sse-comment': 'comment',
  'sse-dispatch': 'framing',
  'sse-block-end': 'framing',
  'ws-fin-opcode': 'framing',
  'ws-mask-len': 'framing',
  'ws-ext-len': 'framing',
  'ws-mask-key': 'mask',
  'ws-payload': 'payload',
  'ws-close-code': 'framing',
  'ws-close-reason': 'payload',
  'h2-preface': 'head',
  'h2-length': 'framing',
  'h2-type': 'framing',
  'h2-flags': 'framing',
  'h2-stream-id': 'framing',
  'h2-pad-length': 'framing',
  'h2-padding': 'comment',
  'h2-priority': 'framing',
  'h2-promised-stream': 'framing',
  'h2-data': 'payload',
  'h2-setting': 'field',
  'h2-ping-data': 'payload',
  'h2-last-stream-id': 'framing',
  'h2-error-code': 'framing',
  'h2-debug-data': 'payload',
  'h2-window-increment': 'field',
  'h2-payload': 'comment',
  'hpack-indexed': 'header',
  'hpack-literal': 'header',
  'hpack-size-update': 'framing',
  'tls-content-type': 'framing',
  'tls-version': 'framing',
  'tls-length': 'framing',
  'tls-handshake-type': 'head',
  'tls-random': 'mask',
  'tls-session-id': 'mask',
  'tls-cipher-suite': 'field',
  'tls-compression': 'framing',
  'tls-extension-type': 'header',
  'tls-extension': 'field',
  'tls-handshake': 'comment',
  'tls-change-cipher-spec': 'framing',
  'tls-alert': 'error',
  'tls-encrypted': 'mask',
  incomplete: 'error',
  error: 'error',
};

/** Binary header fields (WebSocket's, HTTP/2's frame headers and fixed fields, HPACK) read better as hex even in text mode. */
export const binaryKinds: ReadonlySet<SegmentKind> = new Set<SegmentKind>([
  'ws-fin-opcode',
  'ws-mask-len',
  'ws-ext-len',
  'ws-mask-key',
  'ws-close-code',
  'h2-length',
  'h2-type',
  'h2-flags',
  'h2-stream-id',
  'h2-pad-length',
  'h2-priority',
  'h2-promised-stream',
  'h2-setting',
  'h2-ping-data',
  'h2-last-stream-id',
  'h2-error-code',
  'h2-window-increment',
  'hpack-indexed',
  'hpack-literal',
  'hpack-size-update',
]);

/** The colour of a segment: its kind's, or `mask` for a masked WebSocket payload. */
export function category(s: Pick<LaneSegment, 'kind' | 'unmasked'>): Category {
  return s.unmasked ? 'mask' : categories[s.kind];
}

/** Is this segment drawn as hex pairs (hex mode, a binary header field, a masked payload)? */
export function drawnAsHex(s: Pick<LaneSegment, 'kind' | 'unmasked'>, hexMode: boolean): boolean {
  return hexMode || binaryKinds.has(s.kind) || s.unmasked !== undefined;
}
