/**
 * The static Huffman code of HPACK (RFC 7541 §5.2, Appendix B), decoding only.
 *
 * The code is canonical: codes of the same length are consecutive numbers in symbol order, and
 * each length starts where the previous one ended, shifted left. So the code lengths alone
 * define it. https://www.rfc-editor.org/rfc/rfc7541#appendix-B
 */

/** Code length in bits of symbols 0–255 and EOS (256), one base-36 digit each (RFC 7541 Appendix B). */
const LENGTHS =
  'dnsssssssoussussssssssusssssssss6aacd68baa8b8666555666666678f6cad67777777777777777777777878djde6f56565666577666567655677777fbedskmkkmmmnmnnnnnon' +
  'oomnonnnnlmnmnnomlkmmnnlnmmolmnnllmlnmnnkmmmnmmnqqkjmnmpqqqrrqopjlqrrqrollqqsrrrkoklmllnmmppooqnqrqqrrrrrsrrrrrqu';

export const EOS = 256;

/** Bits of each symbol's code, and the code (right-aligned), built from the lengths. */
export const huffmanCodes: readonly { code: number; bits: number }[] = (() => {
  const bits = Array.from(LENGTHS, (c) => Number.parseInt(c, 36));
  const order = bits.map((_, sym) => sym).sort((a, b) => (bits[a] ?? 0) - (bits[b] ?? 0) || a - b);
  const out: { code: number; bits: number }[] = new Array<{ code: number; bits: number }>(bits.length);
  let code = 0;
  let len = bits[order[0] ?? 0] ?? 0;
  for (const sym of order) {
    const n = bits[sym] ?? 0;
    code *= 2 ** (n - len);
    len = n;
    out[sym] = { code, bits: n };
    code++;
  }
  return out;
})();

/**
 * The decoding tree as a flat array: node i has children `tree[2i]` (bit 0) and `tree[2i+1]`
 * (bit 1); a child ≥ 0 is another node, a child < 0 is the leaf of symbol `-child - 1`.
 */
const tree: Int32Array = (() => {
  const t: number[] = [0, 0];
  let nodes = 1;
  huffmanCodes.forEach(({ code, bits }, sym) => {
    let node = 0;
    for (let i = bits - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) % 2;
      const slot = 2 * node + bit;
      if (i === 0) {
        t[slot] = -sym - 1;
        break;
      }
      if (!t[slot]) {
        t[slot] = nodes++;
        t.push(0, 0);
      }
      node = t[slot] ?? 0;
    }
  });
  return Int32Array.from(t);
})();

export type HuffmanResult = { ok: true; bytes: Uint8Array } | { ok: false; why: string };

/**
 * Decodes a Huffman-coded string literal. Fails, as RFC 7541 §5.2 requires, on the EOS symbol
 * inside the string, on padding longer than 7 bits, and on padding that is not the high bits of
 * EOS (all ones).
 */
export function decodeHuffman(input: Uint8Array): HuffmanResult {
  const out: number[] = [];
  let node = 0;
  /** Bits read since the last complete symbol, and whether they were all ones. */
  let pending = 0;
  let allOnes = true;
  for (const byte of input) {
    for (let i = 7; i >= 0; i--) {
      const bit = (byte >> i) & 1;
      const next = tree[2 * node + bit] ?? 0;
      pending++;
      allOnes &&= bit === 1;
      if (next < 0) {
        const sym = -next - 1;
        if (sym === EOS) return { ok: false, why: 'the EOS symbol inside a string' };
        out.push(sym);
        node = 0;
        pending = 0;
        allOnes = true;
      } else node = next;
    }
  }
  if (pending > 7) return { ok: false, why: `padding of ${pending} bits (at most 7 are allowed)` };
  if (!allOnes) return { ok: false, why: 'padding that is not all ones (the start of EOS)' };
  return { ok: true, bytes: Uint8Array.from(out) };
}
