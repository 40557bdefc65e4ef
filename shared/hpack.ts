/**
 * An HPACK decoder (RFC 7541): the header compression of HTTP/2. A header block is a run of
 * field representations; each one either points into a table of fields seen before, or spells
 * the name and/or value out as a string literal, optionally Huffman-coded. The decoder keeps the
 * dynamic table the encoder on the other side keeps, so the two stay in step.
 * https://www.rfc-editor.org/rfc/rfc7541
 */
import { decodeUtf8, plural, quote } from './textLabels.ts';
import { decodeHuffman } from './hpackHuffman.ts';

/** The static table, indices 1–61 (RFC 7541 Appendix A). */
export const staticTable: readonly (readonly [name: string, value: string])[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

/** How a field was sent (RFC 7541 §6). */
export type Representation =
  | 'indexed' // §6.1: one index into the tables
  | 'literal-incremental' // §6.2.1: literal, then added to the dynamic table
  | 'literal-without-indexing' // §6.2.2: literal, table untouched
  | 'literal-never-indexed' // §6.2.3: literal that intermediaries must never index either
  | 'size-update'; // §6.3: a dynamic table size update, not a field

export interface TableEntry {
  name: string;
  value: string;
  /** Octets it counts for: name and value lengths in bytes plus 32 (RFC 7541 §4.1). */
  size: number;
}

/** One representation decoded from a header block. */
export interface HpackField {
  representation: Representation;
  /** Byte range in the block: `start` inclusive, `end` exclusive. */
  start: number;
  end: number;
  /** Empty for a size update. */
  name: string;
  value: string;
  /** The table index the field or its name came from, if any (1–61 static, 62… dynamic). */
  index?: number;
  /** Whether the name / value literal was Huffman-coded (absent when not sent as a literal). */
  nameHuffman?: boolean;
  valueHuffman?: boolean;
  /** A size update's new maximum table size. */
  maxSize?: number;
  /** Entries evicted from the dynamic table by this representation, oldest first. */
  evicted: TableEntry[];
  label: string;
  explain: string;
}

/** What `next()` found at a position: a whole representation, a need for more bytes, or an error. */
export type HpackStep = { type: 'field'; field: HpackField } | { type: 'more'; need: number } | { type: 'error'; why: string };

const ENTRY_OVERHEAD = 32;

const entries = (n: number, adjective = ''): string => `${n} ${adjective}${n === 1 ? 'entry' : 'entries'}`;
const utf8 = new TextEncoder();

const representationNames: Record<Representation, string> = {
  indexed: 'indexed field',
  'literal-incremental': 'literal, added to the table',
  'literal-without-indexing': 'literal, not added to the table',
  'literal-never-indexed': 'literal, never indexed',
  'size-update': 'table size update',
};

/** Reads an integer with an `n`-bit prefix at `pos` (RFC 7541 §5.1). */
function readInteger(b: Uint8Array, pos: number, n: number): { value: number; end: number } | { more: number } | { error: string } {
  if (pos >= b.length) return { more: pos + 1 };
  const max = (1 << n) - 1;
  let value = (b[pos] ?? 0) & max;
  if (value < max) return { value, end: pos + 1 };
  let shift = 0;
  for (let i = pos + 1; ; i++) {
    if (i >= b.length) return { more: i + 1 };
    const byte = b[i] ?? 0;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return { value, end: i + 1 };
    // Four continuation bytes already reach 2^28; real headers and tables are far smaller.
    if (shift > 28) return { error: 'an integer with too many continuation bytes' };
  }
}

/** Reads a string literal at `pos`: H bit, 7-bit-prefix length, then the bytes (RFC 7541 §5.2). */
function readString(
  b: Uint8Array,
  pos: number,
): { text: string; huffman: boolean; raw: number; octets: number; end: number } | { more: number } | { error: string } {
  const len = readInteger(b, pos, 7);
  if (!('value' in len)) return len;
  const end = len.end + len.value;
  if (end > b.length) return { more: end };
  const huffman = ((b[pos] ?? 0) & 0x80) !== 0;
  const body = b.subarray(len.end, end);
  if (!huffman) return { text: decodeUtf8(body), huffman, raw: len.value, octets: len.value, end };
  const decoded = decodeHuffman(body);
  if (!decoded.ok) return { error: `a Huffman string with ${decoded.why}` };
  return { text: decodeUtf8(decoded.bytes), huffman, raw: len.value, octets: decoded.bytes.length, end };
}

/**
 * The decoding side of one direction's header compression. Feed it the header blocks of that
 * direction in order; `next()` decodes one representation, and only changes the table when
 * the whole representation is there, so a caller may retry as bytes arrive.
 */
export class HpackDecoder {
  /** Newest first: entry 62 is `dynamic[0]` (RFC 7541 §2.3.3). */
  readonly dynamic: TableEntry[] = [];
  #size = 0;
  #maxSize: number;
  /** The most the other side allowed (SETTINGS_HEADER_TABLE_SIZE); a size update may not exceed it. */
  limit: number;
  #fieldsInBlock = 0;

  constructor(maxSize = 4096) {
    this.#maxSize = maxSize;
    this.limit = maxSize;
  }

  /** Sum of entry sizes in the dynamic table. */
  get size(): number {
    return this.#size;
  }

  /** The dynamic table's current maximum size. */
  get maxSize(): number {
    return this.#maxSize;
  }

  /** A new header block starts (a size update is only allowed before its first field). */
  beginBlock(): void {
    this.#fieldsInBlock = 0;
  }

  /** The entry at `index` of the combined index space (RFC 7541 §2.3.3), if there is one. */
  entry(index: number): { name: string; value: string } | undefined {
    if (index >= 1 && index <= staticTable.length) {
      const [name, value] = staticTable[index - 1] ?? ['', ''];
      return { name, value };
    }
    return this.dynamic[index - staticTable.length - 1];
  }

  /** Decodes a whole header block (it begins a block). Stops at the first error. */
  decodeBlock(block: Uint8Array): { fields: HpackField[]; error?: { at: number; why: string } } {
    this.beginBlock();
    const fields: HpackField[] = [];
    let pos = 0;
    while (pos < block.length) {
      const step = this.next(block, pos);
      if (step.type === 'field') {
        fields.push(step.field);
        pos = step.field.end;
      } else if (step.type === 'more') return { fields, error: { at: pos, why: 'the block ends inside a field' } };
      else return { fields, error: { at: pos, why: step.why } };
    }
    return { fields };
  }

  /** Decodes the representation starting at `block[pos]`. */
  next(block: Uint8Array, pos: number): HpackStep {
    const first = block[pos];
    if (first === undefined) return { type: 'more', need: pos + 1 };
    if (first & 0x80) return this.#indexed(block, pos);
    if ((first & 0xc0) === 0x40) return this.#literal(block, pos, 'literal-incremental', 6);
    if ((first & 0xe0) === 0x20) return this.#sizeUpdate(block, pos);
    return this.#literal(block, pos, first & 0x10 ? 'literal-never-indexed' : 'literal-without-indexing', 4);
  }

  #where(index: number): string {
    return index <= staticTable.length ? `entry ${index} of the static table` : `entry ${index} of the dynamic table`;
  }

  #lookup(index: number): { name: string; value: string } | { error: string } {
    if (index === 0) return { error: 'index 0, which is not used' };
    const e = this.entry(index);
    if (e) return e;
    const top = staticTable.length + this.dynamic.length;
    return { error: `index ${index} beyond the table (it ends at ${top})` };
  }

  #indexed(block: Uint8Array, pos: number): HpackStep {
    const int = readInteger(block, pos, 7);
    if ('more' in int) return { type: 'more', need: int.more };
    if ('error' in int) return { type: 'error', why: int.error };
    const e = this.#lookup(int.value);
    if ('error' in e) return { type: 'error', why: e.error };
    this.#fieldsInBlock++;
    const n = int.end - pos;
    return {
      type: 'field',
      field: {
        representation: 'indexed',
        start: pos,
        end: int.end,
        name: e.name,
        value: e.value,
        index: int.value,
        evicted: [],
        label: `${e.name}: ${quote(e.value, 40)} (indexed ${int.value})`,
        explain:
          `An indexed field: ${plural(n, 'byte')} naming ${this.#where(int.value)}, which holds the whole field ` +
          `${e.name}: ${quote(e.value, 40)} (RFC 7541 §6.1).`,
      },
    };
  }

  #literal(block: Uint8Array, pos: number, representation: Representation, prefix: number): HpackStep {
    const int = readInteger(block, pos, prefix);
    if ('more' in int) return { type: 'more', need: int.more };
    if ('error' in int) return { type: 'error', why: int.error };
    let name: string;
    let nameNote: string;
    let nameOctets: number;
    let at = int.end;
    let nameHuffman: boolean | undefined;
    if (int.value > 0) {
      const e = this.#lookup(int.value);
      if ('error' in e) return { type: 'error', why: e.error };
      name = e.name;
      nameOctets = utf8.encode(name).length;
      nameNote = `the name comes from ${this.#where(int.value)}`;
    } else {
      const s = readString(block, at);
      if ('more' in s) return { type: 'more', need: s.more };
      if ('error' in s) return { type: 'error', why: s.error };
      name = s.text;
      nameOctets = s.octets;
      nameHuffman = s.huffman;
      at = s.end;
      nameNote = `the name is spelled out${s.huffman ? `, Huffman-coded in ${plural(s.raw, 'byte')} instead of ${s.octets}` : ''}`;
    }
    const v = readString(block, at);
    if ('more' in v) return { type: 'more', need: v.more };
    if ('error' in v) return { type: 'error', why: v.error };
    const valueNote = v.huffman ? `the value Huffman-coded in ${plural(v.raw, 'byte')} instead of ${v.octets}` : 'the value as plain text';
    this.#fieldsInBlock++;
    let evicted: TableEntry[] = [];
    let effect: string;
    if (representation === 'literal-incremental') {
      const size = nameOctets + v.octets + ENTRY_OVERHEAD;
      evicted = this.#add({ name, value: v.text, size });
      const gone = evicted.length > 0 ? `, evicting ${entries(evicted.length, 'older ')}` : '';
      effect =
        size <= this.#maxSize
          ? `both sides add it to the dynamic table as entry ${staticTable.length + 1}${gone}, so next time one byte can say it (RFC 7541 §6.2.1)`
          : `it is larger than the whole dynamic table, which is emptied (RFC 7541 §4.4, §6.2.1)`;
    } else if (representation === 'literal-without-indexing') {
      effect = 'the tables stay as they were (RFC 7541 §6.2.2)';
    } else {
      effect = 'the tables stay as they were, and a proxy must not index it either, so secrets like cookies are never compressed against (RFC 7541 §6.2.3)';
    }
    const field: HpackField = {
      representation,
      start: pos,
      end: v.end,
      name,
      value: v.text,
      ...(int.value > 0 ? { index: int.value } : {}),
      ...(nameHuffman !== undefined ? { nameHuffman } : {}),
      valueHuffman: v.huffman,
      evicted,
      label: `${name}: ${quote(v.text, 40)} (${representationNames[representation]})`,
      explain: `A literal field: ${nameNote}, ${valueNote}; ${effect}.`,
    };
    return { type: 'field', field };
  }

  #sizeUpdate(block: Uint8Array, pos: number): HpackStep {
    const int = readInteger(block, pos, 5);
    if ('more' in int) return { type: 'more', need: int.more };
    if ('error' in int) return { type: 'error', why: int.error };
    if (this.#fieldsInBlock > 0) return { type: 'error', why: 'a table size update after a field (it must come first in a block)' };
    if (int.value > this.limit) return { type: 'error', why: `a table size update to ${int.value}, above the ${this.limit} the other side allowed` };
    this.#maxSize = int.value;
    const evicted = this.#evict(0);
    return {
      type: 'field',
      field: {
        representation: 'size-update',
        start: pos,
        end: int.end,
        name: '',
        value: '',
        maxSize: int.value,
        evicted,
        label: `dynamic table size update: ${int.value}`,
        explain:
          `A dynamic table size update: from now on the table holds at most ${plural(int.value, 'octet')}` +
          `${evicted.length > 0 ? `, so ${entries(evicted.length)} that no longer fit are evicted` : ''}; ` +
          'a size of 0 empties it (RFC 7541 §6.3, §4.3).',
      },
    };
  }

  /** Adds an entry at the front, evicting from the end to make room (RFC 7541 §4.4). */
  #add(e: TableEntry): TableEntry[] {
    if (e.size > this.#maxSize) {
      const all = this.dynamic.splice(0).reverse();
      this.#size = 0;
      return all;
    }
    const evicted = this.#evict(e.size);
    this.dynamic.unshift(e);
    this.#size += e.size;
    return evicted;
  }

  /** Evicts the oldest entries until `room` more octets fit. */
  #evict(room: number): TableEntry[] {
    const out: TableEntry[] = [];
    while (this.dynamic.length > 0 && this.#size + room > this.#maxSize) {
      const old = this.dynamic.pop();
      if (!old) break;
      this.#size -= old.size;
      out.push(old);
    }
    return out;
  }
}
