/** What the byte view draws for one visual row: pieces cut into styled runs of text or hex. */
import type { ConnInfo, LaneSegment } from '../../run/Run.svelte.ts';
import type { Direction } from '../../wire/types.ts';
import { escapeChars, hexBytes } from '../../wire/escape.ts';
import { category, drawnAsHex, type Category } from './categories.ts';
import type { Piece, RowModel } from './RowModel.ts';
import { escapeNames, spokenRuns } from './spoken.ts';

export interface TextRun {
  text: string;
  /** An escape (`\r`, `\x00`), drawn dim. */
  esc: boolean;
}

/** Bytes as text, escapes and plain characters grouped into alternating runs. */
export function textRuns(bytes: Uint8Array): TextRun[] {
  const runs: TextRun[] = [];
  for (const c of escapeChars(bytes)) {
    const prev = runs.at(-1);
    if (prev && prev.esc === c.escaped) prev.text += c.text;
    else runs.push({ text: c.text, esc: c.escaped });
  }
  return runs;
}

export interface PieceView {
  key: string;
  index: number;
  s: LaneSegment;
  /** The piece that starts the segment carries its id (for aria-activedescendant). */
  head: boolean;
  length: number;
  category: Category;
  hex: boolean;
  /** `data:` values carry the reply: payload colour. */
  data: boolean;
  parts: { cls: string; runs: TextRun[] }[];
  unmasked?: TextRun[];
  badge?: string;
  /**
   * On the head of a segment wrapped onto further rows: the rest of its bytes, spoken, drawn
   * visually hidden inside the head (`drawParts`). The rows below draw them, hidden from the
   * tree, so the option's name is the whole segment.
   */
  rest?: string;
}

export interface RowView {
  index: number;
  sep: boolean;
  conn: number;
  dir: Direction;
  /** Continues the previous row's segment. */
  cont: boolean;
  pieces: PieceView[];
}

export function pieceView(p: Piece, s: LaneSegment, hexMode: boolean): PieceView {
  const hex = drawnAsHex(s, hexMode);
  const bytes = s.bytes.subarray(p.start, p.end);
  const draw = (b: Uint8Array): TextRun[] => (b.length === 0 ? [] : hex ? [{ text: hexBytes(b), esc: false }] : textRuns(b));
  const wrapped = p.start === 0 && p.end < s.bytes.length;
  const parts =
    p.nameEnd > 0
      ? [
          { cls: 'name', runs: draw(bytes.subarray(0, p.nameEnd)) },
          { cls: 'value', runs: draw(bytes.subarray(p.nameEnd)) },
        ].filter((part) => part.runs.length > 0)
      : [{ cls: s.kind === 'sse-field' ? 'value' : '', runs: draw(bytes) }];
  return {
    key: `${p.seg}:${p.start}`,
    index: p.seg,
    s,
    head: p.start === 0,
    length: p.end - p.start,
    category: category(s),
    hex,
    data: s.kind === 'sse-field' && (s.name === 'data' || s.token !== undefined),
    parts,
    unmasked: s.unmasked ? textRuns(s.unmasked.subarray(p.start, p.end)) : undefined,
    badge: p.badge,
    rest: wrapped ? spokenRuns(draw(s.bytes.subarray(p.end))) : undefined,
  };
}

/**
 * Fills `el` with a piece's parts, built directly (no parser, no block per part and run): a
 * `<span>` per part with a class (a header's name, a field's value), a part without one as its
 * text alone, each escape an image named as spoken.
 */
export function drawParts(el: Element, parts: readonly { cls: string; runs: readonly TextRun[] }[], rest?: string): void {
  const doc = el.ownerDocument;
  const nodes: Node[] = [];
  for (const part of parts) {
    const into = part.cls ? doc.createElement('span') : undefined;
    if (into) into.className = part.cls;
    for (const t of part.runs) {
      let node: Node;
      if (t.esc) {
        const esc = doc.createElement('span');
        esc.className = 'esc';
        esc.setAttribute('role', 'img');
        esc.setAttribute('aria-label', escapeNames(t.text));
        esc.textContent = t.text;
        node = esc;
      } else node = doc.createTextNode(t.text);
      if (into) into.append(node);
      else nodes.push(node);
    }
    if (into) nodes.push(into);
  }
  if (rest) {
    // Inside the option, so its name comes from its content: named by aria-labelledby instead,
    // the escapes drawn before the wrap would not match their spoken names (WCAG 2.5.3).
    const spoken = doc.createElement('span');
    spoken.className = 'visually-hidden spoken-rest';
    spoken.textContent = ` ${rest}`;
    nodes.push(spoken);
  }
  el.replaceChildren(...nodes);
}

/**
 * Row `r` of `model` showing the first `count` segments. Views of rows that no longer change
 * come from `cache` (and go in it).
 */
export function rowView(
  model: Pick<RowModel, 'rows' | 'hex'>,
  r: number,
  count: number,
  segments: readonly LaneSegment[],
  cache: Map<number, RowView>,
): RowView {
  const row = model.rows[r]!;
  // Pieces are in segment order: those shown are a prefix.
  let shown = 0;
  while (shown < row.pieces.length && row.pieces[shown]!.seg < count) shown++;
  const cached = cache.get(r);
  // A row is final once a later row exists; until then pieces may still be added to it.
  if (cached && cached.pieces.length === shown && r < model.rows.length - 1) return cached;
  const pieces = shown === row.pieces.length ? row.pieces : row.pieces.slice(0, shown);
  const view: RowView = {
    index: r,
    sep: row.sep,
    conn: row.conn,
    dir: row.dir,
    cont: (row.pieces[0]?.start ?? 0) > 0,
    pieces: pieces.map((p) => pieceView(p, segments[p.seg]!, model.hex)),
  };
  if (cache.size > 4000) cache.clear();
  cache.set(r, view);
  return view;
}

/** A separator row's text: `connection #2 · GET /api/chat?…`. */
export function connLabel(conn: number, info: (Pick<ConnInfo, 'method' | 'path'> & Partial<Pick<ConnInfo, 'protocol' | 'layer'>>) | undefined): string {
  if (info?.layer === 'tls') return `connection #${conn} · TLS records (the network view)`;
  // The query repeats the settings; the path is what tells the connections apart.
  const over = info?.protocol === 'h2' ? 'HTTP/2 over TLS · ' : info?.protocol === 'http/1.1' ? 'HTTP/1.1 over TLS · ' : '';
  return info ? `connection #${conn} · ${over}${info.method} ${info.path.replace(/\?.*/, '?…')}` : `connection #${conn}`;
}
