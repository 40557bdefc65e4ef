/** A segment cut into drawable units, with the monospace columns each one takes. */
import type { LaneSegment } from '../../run/Run.svelte.ts';
import { escapeChars } from '../../wire/escape.ts';
import { binaryKinds, drawnAsHex } from './categories.ts';

// East Asian wide characters and emoji take two columns in a monospace font.
const wide = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{1f300}-\u{1faff}]/u;

/** Columns `text` takes in a monospace font. */
export function columns(text: string): number {
  let w = 0;
  for (const ch of text) w += wide.test(ch) ? 2 : 1;
  return w;
}

/** A drawable unit of a segment: one character (or escape), or one byte in hex. */
export interface Unit {
  /** Byte index just after it, within the segment. */
  end: number;
  width: number;
  /** A line feed: the row ends after it. */
  lf: boolean;
}

/** The units of a segment as drawn in text (`hexMode` false) or hex mode. */
export function unitsOf(s: Pick<LaneSegment, 'kind' | 'bytes' | 'unmasked'>, hexMode: boolean): Unit[] {
  const units: Unit[] = [];
  if (drawnAsHex(s, hexMode)) {
    // A masked payload also shows its unmasked text beside the hex: about one more column a byte.
    const width = s.unmasked ? 4 : 3;
    const text = !s.unmasked && !binaryKinds.has(s.kind);
    for (let i = 0; i < s.bytes.length; i++) units.push({ end: i + 1, width, lf: text && s.bytes[i] === 0x0a });
  } else {
    for (const c of escapeChars(s.bytes)) units.push({ end: c.start + c.length, width: columns(c.text), lf: c.text === '\\n' });
  }
  return units;
}
