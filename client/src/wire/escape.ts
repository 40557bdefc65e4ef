/** Bytes shown as text for the byte view: escapes for what cannot be seen, and hex. */

export interface EscapedChar {
  /** What to draw: `H`, `\r`, `\x00`, `é`, `🙂`. */
  text: string;
  /** Index of the first byte it stands for, and how many bytes. */
  start: number;
  length: number;
  /** An escape (`\r`, `\xNN`…) rather than the character itself, so the page can style it. */
  escaped: boolean;
}

const named: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r', 0x5c: '\\\\' };

/** Length of the valid UTF-8 sequence starting at `i`, or 0 (RFC 3629 §4: no overlongs, no surrogates). */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] ?? 0;
  const [n, lo, hi] =
    b0 >= 0xc2 && b0 <= 0xdf
      ? [2, 0x80, 0xbf]
      : b0 === 0xe0
        ? [3, 0xa0, 0xbf]
        : b0 === 0xed
          ? [3, 0x80, 0x9f]
          : b0 >= 0xe1 && b0 <= 0xef
            ? [3, 0x80, 0xbf]
            : b0 === 0xf0
              ? [4, 0x90, 0xbf]
              : b0 >= 0xf1 && b0 <= 0xf3
                ? [4, 0x80, 0xbf]
                : b0 === 0xf4
                  ? [4, 0x80, 0x8f]
                  : [0, 0, 0];
  if (n === 0 || i + n > bytes.length) return 0;
  const b1 = bytes[i + 1] ?? 0;
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < n; k++) {
    const b = bytes[i + k] ?? 0;
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return n;
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');
const utf8 = new TextDecoder();

/**
 * Splits bytes into drawable characters: printable ASCII as itself; `\r` `\n` `\t` `\\` as
 * escapes; other control bytes and bytes that are not (complete) UTF-8 as `\xNN`, so half of an
 * emoji cut by a read boundary shows as its bytes. With `utf8: false` every byte ≥ 0x80 is `\xNN`.
 */
export function escapeChars(bytes: Uint8Array, options: { utf8?: boolean } = {}): EscapedChar[] {
  const decodeUtf8 = options.utf8 ?? true;
  const out: EscapedChar[] = [];
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const name = named[b];
    if (name) out.push({ text: name, start: i, length: 1, escaped: b !== 0x5c });
    else if (b >= 0x20 && b < 0x7f) out.push({ text: String.fromCharCode(b), start: i, length: 1, escaped: false });
    else {
      const n = decodeUtf8 && b >= 0x80 ? utf8SequenceLength(bytes, i) : 0;
      const text = n > 0 ? utf8.decode(bytes.subarray(i, i + n)) : '';
      // C1 controls (U+0080–U+009F) are invisible too.
      if (n > 0 && !/[\u0080-\u009f]/.test(text)) {
        out.push({ text, start: i, length: n, escaped: false });
        i += n;
        continue;
      }
      out.push({ text: `\\x${hex2(b)}`, start: i, length: 1, escaped: true });
    }
    i++;
  }
  return out;
}

/** `escapeChars` joined: `HTTP/1.1 200 OK\r\n`. */
export function escapeBytes(bytes: Uint8Array, options: { utf8?: boolean } = {}): string {
  return escapeChars(bytes, options)
    .map((c) => c.text)
    .join('');
}

/** `48 54 54 50`: two lower-case hex digits per byte, space-separated. */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, hex2).join(' ');
}

/**
 * Classic hex dump rows: offset, `width` bytes in hex, the same bytes as ASCII with `.` for the
 * rest. `offset` numbers the first byte (e.g. the segment's offset in its stream).
 */
export function hexDump(bytes: Uint8Array, offset = 0, width = 16): string[] {
  const rows: string[] = [];
  for (let i = 0; i < bytes.length; i += width) {
    const row = bytes.subarray(i, i + width);
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    rows.push(`${(offset + i).toString(16).padStart(8, '0')}  ${hexBytes(row).padEnd(width * 3 - 1)}  ${ascii}`);
  }
  return rows;
}
