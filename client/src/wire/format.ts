/** Small text helpers for labels. */

const decoder = new TextDecoder();
const keepingBom = new TextDecoder('utf-8', { ignoreBOM: true });

/** Whole-element UTF-8 decoding; malformed bytes become U+FFFD, as browsers do. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * UTF-8 decoding of bytes from the middle of a stream: a leading EF BB BF stays U+FEFF, since the
 * decoder strips a byte order mark only at the very start of a stream (WHATWG Encoding, "UTF-8 decode").
 */
export function decodeUtf8KeepBom(bytes: Uint8Array): string {
  return keepingBom.decode(bytes);
}

/** UTF-8 length of `s` without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
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

/** Parses `text` as JSON if it looks like an object or array; undefined otherwise. */
export function readJson(text: string): unknown {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
