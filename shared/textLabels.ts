/** Small text helpers for labels, for the page and for `shared/hpack.ts` (re-exported by `client/src/wire/format.ts`). */

const decoder = new TextDecoder();

/** Whole-element UTF-8 decoding; malformed bytes become U+FFFD, as browsers do. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** `s` cut to `max` characters (code points), with an ellipsis when cut. */
export function shorten(s: string, max = 40): string {
  if (s.length <= max) return s;
  const chars = Array.from(s);
  return chars.length <= max ? s : chars.slice(0, max - 1).join('') + '…';
}

/** `s` as a JSON string literal, so `\r`, `\n` and quotes show, cut to `max` characters first. */
export function quote(s: string, max = 32): string {
  return JSON.stringify(shorten(s, max));
}

// One formatter: toLocaleString() builds a new one per call, which shows up at 60 frames a second.
const thousands = new Intl.NumberFormat('en-US');

/** `1 byte`, `70,000 bytes`. */
export function plural(n: number, word: string): string {
  return `${thousands.format(n)} ${word}${n === 1 ? '' : 's'}`;
}
