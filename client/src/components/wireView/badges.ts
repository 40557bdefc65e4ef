/** Short tags drawn after framing elements in the byte view. */
import type { LaneSegment } from '../../run/Run.svelte.ts';
import { opcodeName } from '../../wire/wsNames.ts';

/** A short tag drawn after a framing element, so colour is not the only thing saying what it is. */
export function badgeOf(s: Pick<LaneSegment, 'kind' | 'label' | 'bytes'> & Partial<Pick<LaneSegment, 'name' | 'text' | 'recordHeader'>>): string | undefined {
  switch (s.kind) {
    // HTTP/2 frames are binary: the tags say what each field of the 9-byte header holds.
    case 'h2-preface':
      return 'HTTP/2 preface';
    case 'h2-length':
      return s.label.replace(/^length /, 'len ').replace(/ bytes?$/, '');
    case 'h2-type':
      return s.label.replace(/^type /, '');
    case 'h2-flags':
      return s.label === 'flags none' ? undefined : s.label.replace(/^flags /, '');
    case 'h2-stream-id':
    case 'h2-setting':
    case 'h2-window-increment':
    case 'h2-error-code':
    case 'h2-last-stream-id':
    case 'h2-ping-data':
    case 'hpack-size-update':
      return s.label;
    case 'hpack-indexed':
    case 'hpack-literal':
      return s.name === undefined ? s.label : `${s.name}: ${shorten(s.text ?? '', 28)}`;
    // TLS records: their headers, and the sizes of what is encrypted.
    case 'tls-content-type':
      return s.label.replace('application_data', 'app data');
    case 'tls-length':
      return s.recordHeader ? s.label.replace(/^record length /, 'len ').replace(/ bytes?$/, '') : undefined;
    case 'tls-encrypted':
      return s.label;
    case 'tls-handshake-type':
    case 'tls-extension':
    case 'tls-change-cipher-spec':
    case 'tls-alert':
      return shorten(s.label, 40);
    case 'chunk-size': {
      const m = /0x([0-9a-f]+) = ([\d,]+)/i.exec(s.label);
      return m ? `size 0x${m[1]}=${m[2]}` : 'chunk size';
    }
    case 'chunk-last':
      return 'last chunk';
    case 'chunk-crlf':
      return 'end of chunk';
    case 'chunk-end':
      return 'end of body';
    case 'head-end':
      return 'end of head';
    case 'sse-dispatch':
      return 'dispatch';
    case 'sse-block-end':
      return 'no event';
    case 'sse-bom':
      return 'BOM';
    case 'empty-line':
      return 'stray CRLF';
    case 'ws-fin-opcode': {
      const b = s.bytes[0] ?? 0;
      return `${b & 0x80 ? 'FIN ' : ''}${opcodeName(b & 0x0f)}`;
    }
    case 'ws-mask-len': {
      const b = s.bytes[0] ?? 0;
      const len = b & 0x7f;
      return `${b & 0x80 ? 'MASK ' : ''}len ${len === 126 ? '→16-bit' : len === 127 ? '→64-bit' : len}`;
    }
    case 'ws-ext-len': {
      const m = /([\d,]+) bytes?/.exec(s.label);
      return m ? `len ${m[1]}` : 'length';
    }
    case 'ws-mask-key':
      return 'mask key';
    case 'ws-close-code': {
      const m = /close code (\d+)/.exec(s.label);
      return m ? `close ${m[1]}` : 'close code';
    }
    case 'error':
      return 'error';
    case 'incomplete':
      return 'incomplete';
    case 'opaque':
      return 'not dissected';
    default:
      return undefined;
  }
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
