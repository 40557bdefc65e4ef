/**
 * The reply's markdown, parsed as it grows: blocks that are complete are kept (the same
 * objects, so the bubble leaves their elements alone) and only the last, open block is parsed
 * again when a token arrives. Scrubbing back drops the blocks the shorter text no longer completes.
 */
import { linesOf, parseBlocks, type Block } from './markdownBlocks.ts';

interface Settled {
  block: Block;
  /** The text must be at least this long for the block to be complete (the next block's first line has ended). */
  at: number;
  /** Where parsing picks up after it: the start of the line after its last. */
  resume: number;
  /** Complete only because no more text was to come: a text of the same length still streaming parses it again. */
  final: boolean;
}

export class MarkdownDoc {
  #src = '';
  #settled: Settled[] = [];
  #parsedFrom = 0;
  /** The open block as last returned: what did not change in it is handed out again, the same objects. */
  #open: Block | undefined;

  /** Offset the last `update` parsed from: what it did not have to parse again. */
  get parsedFrom(): number {
    return this.#parsedFrom;
  }

  /**
   * The blocks of `src`. `open`: more text may follow (the reply is streaming), so the last block
   * is drawn in progress; when it is false, every block is complete.
   */
  update(src: string, open: boolean): readonly Block[] {
    let keep = 0;
    const known = this.#settled;
    while (keep < known.length && (known[keep]!.at < src.length || (known[keep]!.at === src.length && !(known[keep]!.final && open)))) keep++;
    // Only a text that grew from the last one keeps its blocks (a new run is new text).
    if (
      keep > 0 &&
      !(src.length >= this.#src.length ? src.startsWith(this.#src.slice(0, known[keep - 1]!.at)) : this.#src.startsWith(src.slice(0, known[keep - 1]!.at)))
    )
      keep = 0;
    known.length = keep;
    this.#src = src;
    const from = known.at(-1)?.resume ?? 0;
    this.#parsedFrom = from;
    const fresh = parseBlocks(src, linesOf(src, from), open);
    // A block is complete once the first line of the block after it has ended; with no more text to come, all are.
    for (let k = 0; k < fresh.length; k++) {
      const block = fresh[k]!;
      const next = fresh[k + 1];
      const nl = next ? src.indexOf('\n', next.from) : -1;
      if (next ? nl < 0 : open) break;
      known.push({ block, at: next ? nl + 1 : src.length, resume: lineAfter(src, block.to), final: !next });
    }
    const rest = fresh.slice(known.length - keep);
    const last = rest.at(-1);
    if (last && this.#open?.from === last.from) rest[rest.length - 1] = share(this.#open, last);
    this.#open = rest.at(-1);
    return [...known.map((s) => s.block), ...rest];
  }
}

/**
 * `fresh`, with every part equal to the same part of `old` replaced by that part of `old`:
 * the items of a growing list that did not change stay the same objects, and are not drawn again.
 */
export function share<T>(old: T, fresh: T): T {
  if (Object.is(old, fresh) || typeof old !== 'object' || typeof fresh !== 'object' || old === null || fresh === null)
    return Object.is(old, fresh) ? old : fresh;
  if (Array.isArray(old) !== Array.isArray(fresh)) return fresh;
  const before = old as Record<string, unknown>;
  const now = fresh as Record<string, unknown>;
  const keys = Object.keys(now);
  let same = keys.length === Object.keys(before).length;
  const out: Record<string, unknown> = Array.isArray(fresh) ? ([] as unknown as Record<string, unknown>) : {};
  for (const key of keys) {
    const part = key in before ? share(before[key], now[key]) : now[key];
    if (part !== before[key]) same = false;
    out[key] = part;
  }
  return same ? old : (out as T);
}

function lineAfter(src: string, to: number): number {
  const nl = src.indexOf('\n', to);
  return nl < 0 ? src.length : nl + 1;
}

/**
 * Characters and line starts without which a text has no markdown this parser reads: a text
 * with none of them is plain prose, and is not parsed at all (one native scan per token).
 */
const syntax = /[*_`\\[|~]|^[ \t]*(?:[-+>#=]|\d{1,9}(?:[.)]|[ \t]*$))|^[ \t]+\S/m;

export function mayHaveMarkdown(src: string): boolean {
  return syntax.test(src);
}

/**
 * Follows a reply's growing tokens and says whether it is still prose with no markdown syntax
 * (`mayHaveMarkdown`), looking only at the tokens that are new and the line they continue.
 */
/** Characters at a line's start that can decide whether it starts a block (`1234567890. `, indentation). */
const lineHead = 64;

export class ProseCheck {
  /** Tokens known to be plain prose, and the text of their last line. */
  #tokens: readonly string[] = [];
  #line = '';

  isProse(tokens: readonly string[]): boolean {
    const known = this.#tokens;
    // The same reply keeps the same token strings; any other is checked from its start.
    for (let i = Math.min(tokens.length, known.length) - 1; i >= 0; i--) {
      if (tokens[i] !== known[i]) {
        this.#tokens = [];
        this.#line = '';
        break;
      }
    }
    const from = this.#tokens.length;
    // Scrubbing back: a part of prose is prose.
    if (tokens.length <= from) return true;
    const tail = this.#line + tokens.slice(from).join('');
    if (mayHaveMarkdown(tail)) return false;
    this.#tokens = tokens;
    // Only a line's first characters can start a block: past them, a stand-in that starts nothing
    // keeps the check to the new text (a long line is not scanned again per token).
    const line = tail.slice(tail.lastIndexOf('\n') + 1);
    this.#line = line.length > lineHead && line.trim() !== '' ? 'x' : line;
    return true;
  }
}

/**
 * Is this plain prose, paragraphs of text with nothing markdown would change? Then the bubble
 * draws the text as it is (its raw view, made for long prose), which looks the same.
 */
export function isPlain(blocks: readonly Block[], src: string): boolean {
  // Text between blocks that is not blank is text markdown hides (a marker still arriving).
  let end = 0;
  for (const block of blocks) {
    if (src.slice(end, block.from).trim() !== '') return false;
    end = block.to;
  }
  if (src.slice(end).trim() !== '') return false;
  return blocks.every((block) => {
    if (block.kind !== 'paragraph') return false;
    let at = block.from;
    for (const node of block.inline) {
      if (node.kind !== 'text' || node.from !== at) return false;
      at = node.to;
    }
    return at === block.to;
  });
}
