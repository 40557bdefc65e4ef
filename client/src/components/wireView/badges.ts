/** Short tags drawn after framing elements in the byte view. */
import type { LaneSegment } from '../../run/Run.svelte.ts';
import { opcodeName } from '../../wire/wsNames.ts';

/** A short tag drawn after a framing element, so colour is not the only thing saying what it is. */
export function badgeOf(s: Pick<LaneSegment, 'kind' | 'label' | 'bytes'>): string | undefined {
  switch (s.kind) {
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
