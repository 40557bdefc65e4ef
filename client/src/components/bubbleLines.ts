/**
 * Where the browser started a line in the bubble's text: found by measuring where characters
 * were laid out, so a cut there changes nothing on screen (see ChatBubble).
 */
import type { Piece } from './bubbleText.ts';

/** Where a piece's text is in the page: a text node and the piece's offset in it. */
export type Locate = (piece: number) => { node: Text; at: number } | undefined;

/** A character: piece index and UTF-16 offset in it. */
export interface CharAt {
  piece: number;
  offset: number;
}

/** Lines further apart than this (px) are different lines; characters on one line share a top. */
const sameLine = 2;
/** Give up after this many characters back: a line longer than that is left whole. */
const maxBack = 4000;

/**
 * The first character of the line that holds the first character of piece `from`, or undefined
 * when it cannot tell (nothing laid out, or a line longer than `maxBack` characters).
 */
export function lineStart(pieces: readonly Piece[], locate: Locate, from: number): CharAt | undefined {
  const range = document.createRange();
  const top = (c: CharAt): number | undefined => {
    const where = locate(c.piece);
    if (!where) return undefined;
    const text = pieces[c.piece]!.text;
    range.setStart(where.node, where.at + c.offset);
    range.setEnd(where.node, where.at + c.offset + unitLength(text, c.offset));
    const rect = range.getClientRects()[0];
    return rect && rect.height > 0 ? rect.top : undefined;
  };
  let here: CharAt | undefined = { piece: from, offset: 0 };
  while (here && pieces[here.piece]!.text.length === 0) here = next(pieces, here);
  if (!here) return undefined;
  const line = top(here);
  if (line === undefined) return undefined;
  for (let steps = 0; steps < maxBack; steps++) {
    const back = previous(pieces, here);
    if (!back) return here;
    const t = top(back);
    if (t !== undefined && t < line - sameLine) return here;
    here = back;
  }
  return undefined;
}

/** UTF-16 length of the code point at `offset` (2 for a surrogate pair). */
function unitLength(text: string, offset: number): number {
  const code = text.charCodeAt(offset);
  return code >= 0xd800 && code <= 0xdbff && offset + 1 < text.length ? 2 : 1;
}

function previous(pieces: readonly Piece[], c: CharAt): CharAt | undefined {
  let { piece, offset } = c;
  while (offset === 0) {
    if (piece === 0) return undefined;
    piece--;
    offset = pieces[piece]!.text.length;
  }
  const text = pieces[piece]!.text;
  const low = text.charCodeAt(offset - 1);
  return { piece, offset: offset - (low >= 0xdc00 && low <= 0xdfff && offset >= 2 ? 2 : 1) };
}

function next(pieces: readonly Piece[], c: CharAt): CharAt | undefined {
  const offset = c.offset + unitLength(pieces[c.piece]!.text, c.offset);
  if (offset < pieces[c.piece]!.text.length) return { piece: c.piece, offset };
  return c.piece + 1 < pieces.length ? { piece: c.piece + 1, offset: 0 } : undefined;
}
