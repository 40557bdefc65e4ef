/**
 * What a lesson step can pick out in the byte views. A segment kind picks out its leaves; the
 * names below pick out HTTP/2 frames and TLS records by what they are, which no single leaf kind
 * says: a DATA frame's 9-byte header is four leaves (`h2-length`, `h2-type`, `h2-flags`,
 * `h2-stream-id`), told apart from a HEADERS frame's only by the frame they are in.
 */
import type { Segment } from './types.ts';

/** The fields of a segment that say what it picks out. */
export type Highlightable = Pick<Segment, 'frameType' | 'frameFlags' | 'recordHeader'> & { kind: string; layer?: string };

/** Highlight names that are not segment kinds: groups of leaves (lessons/README.md lists them). */
export const groupHighlights = [
  /** Every HTTP/2 frame header: length, type, flags, stream id (9 bytes). */
  'h2-frame-header',
  /** HEADERS (and CONTINUATION) frames: their frame headers and the HPACK fields in them (`:status`, the headers). */
  'h2-headers',
  /** The frame headers of DATA frames (where HTTP/1.1 has chunk-size lines), and DATA payloads not dissected further. */
  'h2-data',
  /** The header of the DATA frame that ends a body (END_STREAM: where HTTP/1.1 has the final `0`); not a bodiless request's HEADERS. */
  'h2-end-stream',
  /** SETTINGS frames: their frame headers and each setting. */
  'h2-settings',
  /** WINDOW_UPDATE frames: their frame headers and the increment. */
  'h2-window-update',
  /** The 5-byte header of every TLS record: content type, legacy version, length. */
  'tls-record-header',
  /** Encrypted record payloads (application data: everything after the handshake), with their sizes. */
  'tls-app-data',
  /** The handshake messages in clear: ClientHello and ServerHello, field by field (SNI, ALPN, versions, key share). */
  'tls-hello',
] as const;
export type GroupHighlight = (typeof groupHighlights)[number];

const frameHeaderKinds = new Set<string>(['h2-length', 'h2-type', 'h2-flags', 'h2-stream-id']);
const helloExcluded = new Set<string>(['tls-encrypted', 'tls-change-cipher-spec', 'tls-alert', 'incomplete', 'error', 'opaque']);

/** The group highlights a segment belongs to (none for most). */
export function groupsOf(s: Highlightable): GroupHighlight[] {
  const out: GroupHighlight[] = [];
  if (s.layer === 'tls') {
    if (s.recordHeader) out.push('tls-record-header');
    else if (s.kind === 'tls-encrypted') out.push('tls-app-data');
    else if (!helloExcluded.has(s.kind)) out.push('tls-hello');
    return out;
  }
  const header = frameHeaderKinds.has(s.kind);
  if (header) out.push('h2-frame-header');
  switch (s.frameType) {
    case 'HEADERS':
    case 'CONTINUATION':
      if (header || s.layer === 'hpack') out.push('h2-headers');
      break;
    case 'DATA':
      if (header || s.kind === 'h2-data') out.push('h2-data');
      break;
    case 'SETTINGS':
      out.push('h2-settings');
      break;
    case 'WINDOW_UPDATE':
      out.push('h2-window-update');
      break;
  }
  if (header && s.frameType === 'DATA' && ((s.frameFlags ?? 0) & 0x1) !== 0) out.push('h2-end-stream');
  return out;
}

/** Whether a step that picks out `emphasis` (segment kinds and group names) picks out `s`. */
export function emphasized(s: Highlightable, emphasis: ReadonlySet<string>): boolean {
  if (emphasis.size === 0) return false;
  if (emphasis.has(s.kind)) return true;
  if (s.layer !== 'tls' && s.layer !== 'h2' && s.layer !== 'hpack') return false;
  return groupsOf(s).some((g) => emphasis.has(g));
}
