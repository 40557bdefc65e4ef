/**
 * The chat bubble's text as pieces of tokens. A long reply is cut, at line starts the browser
 * chose, into parts that are each their own paragraph box (see ChatBubble): a token may be cut
 * in two, so positions are a token and an offset into its text.
 */
import { countAtMost } from '../run/search.ts';

/** A place in the reply: before UTF-16 unit `offset` of token `token`. */
export interface TextPos {
  token: number;
  offset: number;
}

export const replyStart: TextPos = { token: 0, offset: 0 };

/** A token, or the part of one on one side of a cut. */
export interface Piece {
  token: number;
  text: string;
  /** UTF-16 offset of `text` in its token (0 unless the token was cut before it). */
  from: number;
}

export function isBefore(a: TextPos, b: TextPos): boolean {
  return a.token < b.token || (a.token === b.token && a.offset < b.offset);
}

/** The pieces from `from` up to `to` (or up to the end of the first `to.token` tokens). */
export function piecesBetween(tokens: readonly string[], from: TextPos, to: TextPos): Piece[] {
  const pieces: Piece[] = [];
  for (let t = from.token; t <= Math.min(to.token, tokens.length - 1); t++) {
    const text = tokens[t]!;
    const start = t === from.token ? from.offset : 0;
    const end = t === to.token ? to.offset : text.length;
    if (end > start || (text === '' && t < to.token)) pieces.push({ token: t, text: text.slice(start, end), from: start });
  }
  return pieces;
}

/** Strong right-to-left letters: Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms. */
const rtl = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]|\ud802[\udc00-\udfff]|\ud83a[\udc00-\udfff]/;

/**
 * Can the paragraph around `pos` be cut at `pos` without a visible change? Each part of the
 * bubble finds its own paragraph direction (`unicode-bidi: plaintext`), so only a paragraph with
 * no right-to-left letter is cut: its parts are left to right like the whole.
 */
export function cuttable(tokens: readonly string[], pos: TextPos): boolean {
  const newline = (t: number) => tokens[t]!.includes('\n');
  let first = pos.token;
  while (first > 0 && !newline(first - 1)) first--;
  let last = pos.token;
  while (last < tokens.length - 1 && !newline(last)) last++;
  for (let t = first; t <= last; t++) if (rtl.test(tokens[t]!)) return false;
  return true;
}

/** Where each token starts in the reply's text; the last entry is the text's length. */
export function tokenStarts(tokens: readonly string[]): number[] {
  const starts = [0];
  for (const text of tokens) starts.push(starts.at(-1)! + text.length);
  return starts;
}

/** The token that holds text offset `at` (of `tokenStarts`), or the last token for the end. */
export function tokenAt(starts: readonly number[], at: number): number {
  // The last start at or before `at`; the final entry is the end of the text, not a token.
  return Math.max(0, Math.min(countAtMost(starts, at) - 1, starts.length - 2));
}

/** The pieces of text [from, to) of the reply, one per token it touches. */
export function piecesOfSpan(tokens: readonly string[], starts: readonly number[], from: number, to: number): Piece[] {
  const pieces: Piece[] = [];
  for (let t = tokenAt(starts, from); t < tokens.length && starts[t]! < to; t++) {
    const start = Math.max(from, starts[t]!) - starts[t]!;
    const end = Math.min(to, starts[t + 1]!) - starts[t]!;
    if (end > start) pieces.push({ token: t, text: tokens[t]!.slice(start, end), from: start });
  }
  return pieces;
}

/**
 * The reply's text and where its tokens start (`tokenStarts`), kept as the tokens grow: a new
 * token is appended, the reply is not joined and counted again from its start each frame.
 * Scrubbing back drops the tokens no longer shown; another reply starts again.
 */
export class TokenText {
  text = '';
  /** Where each token starts; the last entry is the text's length. Changed in place. */
  readonly starts: number[] = [0];
  #tokens: string[] = [];

  update(tokens: readonly string[]): void {
    const known = this.#tokens;
    const n = Math.min(tokens.length, known.length);
    let same = 0;
    // Token strings are shared from one frame to the next: this is a pointer compare each.
    while (same < n && tokens[same] === known[same]) same++;
    if (same < known.length) {
      known.length = same;
      this.starts.length = same + 1;
      this.text = this.text.slice(0, this.starts[same]);
    }
    if (tokens.length === same) return;
    let end = this.starts[same]!;
    for (let t = same; t < tokens.length; t++) {
      const token = tokens[t]!;
      known.push(token);
      end += token.length;
      this.starts.push(end);
    }
    this.text += same === 0 ? tokens.join('') : tokens.slice(same).join('');
  }
}
