/** Small text helpers for labels. */

// These live in shared/ (the server's tap decodes HPACK with `shared/hpack.ts`, which uses them).
export { decodeUtf8, plural, quote, shorten } from '../../../shared/textLabels.ts';
import { plural, quote, shorten } from '../../../shared/textLabels.ts';

const keepingBom = new TextDecoder('utf-8', { ignoreBOM: true });

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
