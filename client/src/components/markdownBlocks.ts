/**
 * Block markdown for the chat bubble: paragraphs, ATX headings, fenced code, bullet and
 * numbered lists (nested), block quotes, rules and GFM tables, a subset of CommonMark
 * (https://spec.commonmark.org/0.31.2/#blocks) as chat replies use it.
 *
 * Blocks point into the source by offset (see markdownInline.ts). While the reply streams
 * (`open`), the last block is drawn as far as it has come: an open fence is a code block in
 * progress, and a last line that is only the start of a marker (`1`, `-`, `` ` ``) waits,
 * hidden, until the next token says what it is.
 */
import { parseInline, placeInline, type Inline, type Span } from './markdownInline.ts';

export type Align = 'left' | 'center' | 'right' | undefined;

interface Extent {
  /** Source offset of the block's first character (its key among its siblings). */
  from: number;
  /** Source offset just past its last line (before that line's newline). */
  to: number;
}

export type Block = Extent &
  (
    | { kind: 'paragraph'; inline: Inline[] }
    | { kind: 'heading'; level: number; inline: Inline[] }
    | { kind: 'code'; info: string; code: Inline[]; open: boolean }
    | { kind: 'list'; ordered: boolean; start: number; tight: boolean; items: Block[][] }
    | { kind: 'quote'; children: Block[] }
    | { kind: 'rule' }
    | { kind: 'table'; align: Align[]; head: Inline[][]; rows: Inline[][][] }
  );

/** One line of the source: [from, to) is its text (after any container's indent), `end` is past its newline. */
export interface Line {
  from: number;
  to: number;
  end: number;
}

/** The lines of `src` from offset `from` (a line start) on. The last has no newline when `end === to`. */
export function linesOf(src: string, from = 0): Line[] {
  const lines: Line[] = [];
  let at = from;
  while (at < src.length) {
    const nl = src.indexOf('\n', at);
    const to = nl < 0 ? src.length : nl;
    lines.push({ from: at, to, end: nl < 0 ? to : nl + 1 });
    at = to + 1;
  }
  return lines;
}

const fenceOpen = /^( {0,3})(`{3,}|~{3,})(.*?)\r?$/;
const fenceClose = /^ {0,3}(`{3,}|~{3,})[ \t\r]*$/;
const heading = /^ {0,3}(#{1,6})(?:[ \t]+|$)/;
const rule = /^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})\r?$/;
const listItem = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)/;
const quote = /^ {0,3}> ?/;
const tableDelimiter = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
/** A partial last line that is only the start of a marker: it waits for the next token. */
const pendingLine = /^[ \t]*(?:\d{1,9}[.)]?|[-*+>|]|#{1,6}|`{1,2}|~{1,2})[ \t]*$/;

/**
 * Parses `lines` of `src` into blocks. `open`: the last line may still grow (the reply is
 * streaming), so the last block is drawn in progress.
 */
export function parseBlocks(src: string, lines: readonly Line[], open: boolean): Block[] {
  const text = (line: Line) => src.slice(line.from, line.to);
  const last = lines.at(-1);
  if (open && last && last.end === last.to && pendingLine.test(text(last))) lines = lines.slice(0, -1);
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const t = text(line);
    if (t.trim() === '') {
      i++;
      continue;
    }
    const taken =
      fence(src, lines, i, open) ??
      single(src, line, t, i, open) ??
      list(src, lines, i, open) ??
      quoted(src, lines, i, open) ??
      table(src, lines, i, open) ??
      paragraph(src, lines, i, open);
    blocks.push(taken.block);
    i = taken.next;
  }
  return blocks;
}

interface Taken {
  block: Block;
  next: number;
}

/** Does this line start a block that ends a paragraph? (CommonMark: a list interrupts one only with content, and numbered from 1.) */
function interrupts(t: string): boolean {
  if (fenceOpen.test(t) || heading.test(t) || rule.test(t) || quote.test(t)) return true;
  const item = listItem.exec(t);
  return !!item && t.slice(item[0].length).trim() !== '' && (!/\d/.test(item[2]!) || /^1[.)]$/.test(item[2]!));
}

/** Columns of indentation (a tab counts as 4). */
function indentOf(t: string): number {
  let cols = 0;
  for (const c of t) {
    if (c === ' ') cols++;
    else if (c === '\t') cols += 4;
    else break;
  }
  return cols;
}

/** The line without its first `cols` columns of indentation. */
function dedent(src: string, line: Line, cols: number): Line {
  let from = line.from;
  for (let seen = 0; seen < cols && from < line.to && (src[from] === ' ' || src[from] === '\t'); from++) seen += src[from] === '\t' ? 4 : 1;
  return { ...line, from };
}

/** Inline content spread over lines: each line's text from `from`, joined by the newlines between them. */
function inlineOf(src: string, spans: readonly Span[], open: boolean): Inline[] {
  let content = '';
  const starts: number[] = [];
  spans.forEach((span, k) => {
    starts.push(content.length);
    content += src.slice(span.from, span.to) + (k < spans.length - 1 ? '\n' : '');
  });
  // Content offsets back to the source: the newline after a line is the source's own.
  const place = (from: number, to: number): Span[] => {
    const out: Span[] = [];
    for (let k = 0; k < spans.length; k++) {
      const start = starts[k]!;
      const span = spans[k]!;
      const length = span.to - span.from + (k < spans.length - 1 ? 1 : 0);
      const a = Math.max(from, start);
      const b = Math.min(to, start + length);
      if (b > a) out.push({ from: span.from + a - start, to: span.from + b - start });
    }
    return out;
  };
  return placeInline(parseInline(content, open), place);
}

function fence(src: string, lines: readonly Line[], i: number, open: boolean): Taken | undefined {
  const line = lines[i]!;
  const m = fenceOpen.exec(src.slice(line.from, line.to));
  if (!m || (m[2]![0] === '`' && m[3]!.includes('`'))) return undefined;
  const indent = m[1]!.length;
  const marker = m[2]!;
  const body: Span[] = [];
  let j = i + 1;
  let closed = false;
  for (; j < lines.length; j++) {
    const l = lines[j]!;
    const t = src.slice(l.from, l.to);
    const close = fenceClose.exec(t);
    if (close && close[1]![0] === marker[0] && close[1]!.length >= marker.length) {
      closed = true;
      break;
    }
    // A closing fence on its way: hide it until it is one.
    if (open && j === lines.length - 1 && l.end === l.to && /^ {0,3}(`+|~+)$/.test(t) && t.trim()[0] === marker[0]) break;
    const d = dedent(src, l, indent);
    body.push({ from: d.from, to: j < lines.length - 1 || l.end > l.to ? d.to + 1 : d.to });
  }
  // The code's text, without the newline that ends its last line.
  const lastSpan = body.at(-1);
  if (lastSpan && src[lastSpan.to - 1] === '\n') lastSpan.to--;
  const code = merge(body).map((span): Inline => ({ kind: 'text', ...span }));
  const end = closed ? lines[j]! : (lines[j - 1] ?? line);
  return {
    block: { kind: 'code', from: line.from, to: end.to, info: m[3]!.trim().split(/\s/)[0] ?? '', code, open: !closed && open },
    next: closed ? j + 1 : j,
  };
}

function merge(spans: Span[]): Span[] {
  const out: Span[] = [];
  for (const span of spans) {
    const last = out.at(-1);
    if (last && last.to === span.from) last.to = span.to;
    else if (span.to > span.from) out.push({ ...span });
  }
  return out;
}

/** One-line blocks: headings and rules. */
function single(src: string, line: Line, t: string, i: number, open: boolean): Taken | undefined {
  const h = heading.exec(t);
  if (h) {
    let to = line.to;
    // A closing run of #s is not content.
    const closing = /(?:^|[ \t]+)#+[ \t]*$|[ \t]+$/.exec(src.slice(line.from + h[0].length, line.to));
    if (closing) to = line.from + h[0].length + closing.index;
    const from = line.from + h[0].length;
    return {
      block: {
        kind: 'heading',
        level: h[1]!.length,
        from: line.from,
        to: line.to,
        inline: inlineOf(src, [{ from, to: Math.max(from, to) }], open && line.end === line.to),
      },
      next: i + 1,
    };
  }
  if (rule.test(t)) return { block: { kind: 'rule', from: line.from, to: line.to }, next: i + 1 };
  return undefined;
}

function list(src: string, lines: readonly Line[], i: number, open: boolean): Taken | undefined {
  const first = lines[i]!;
  const m = listItem.exec(src.slice(first.from, first.to));
  if (!m) return undefined;
  const marker = m[2]!;
  const ordered = /\d/.test(marker);
  const kind = ordered ? marker.at(-1) : marker;
  const items: Line[][] = [];
  let item: Line[] = [];
  let width = 0;
  const startItem = (line: Line, match: RegExpExecArray) => {
    const gap = match[3]!.length;
    const empty = src.slice(line.from + match[0].length, line.to).trim() === '';
    width = match[1]!.length + match[2]!.length + (gap >= 1 && gap <= 4 && !empty ? gap : 1);
    item = [{ ...line, from: Math.min(line.to, line.from + (empty ? match[0].length : width)) }];
    items.push(item);
  };
  startItem(first, m);
  let j = i + 1;
  let blank = false;
  let loose = false;
  for (; j < lines.length; j++) {
    const line = lines[j]!;
    const t = src.slice(line.from, line.to);
    if (t.trim() === '') {
      item.push({ ...line, from: line.to });
      blank = true;
      continue;
    }
    if (indentOf(t) >= width) {
      if (blank) loose = true;
      item.push(dedent(src, line, width));
      blank = false;
      continue;
    }
    const next = listItem.exec(t);
    if (next && indentOf(t) <= 3 && !rule.test(t) && (/\d/.test(next[2]!) ? next[2]!.at(-1) : next[2]) === kind && /\d/.test(next[2]!) === ordered) {
      if (blank) loose = true;
      startItem(line, next);
      blank = false;
      continue;
    }
    // A lazy continuation of the item's paragraph.
    if (!blank && !interrupts(t) && !next) {
      item.push(dedent(src, line, indentOf(t)));
      continue;
    }
    break;
  }
  // Blank lines after the last item belong to no one.
  while (j > i && src.slice(lines[j - 1]!.from, lines[j - 1]!.to).trim() === '') {
    j--;
    item.pop();
  }
  const reachesEnd = open && j === lines.length;
  const blocks = items.map((itemLines, k) => parseBlocks(src, itemLines, reachesEnd && k === items.length - 1));
  return {
    block: { kind: 'list', ordered, start: ordered ? Number.parseInt(marker, 10) : 1, tight: !loose, items: blocks, from: first.from, to: lines[j - 1]!.to },
    next: j,
  };
}

function quoted(src: string, lines: readonly Line[], i: number, open: boolean): Taken | undefined {
  const inner: Line[] = [];
  let j = i;
  for (; j < lines.length; j++) {
    const line = lines[j]!;
    const t = src.slice(line.from, line.to);
    const m = quote.exec(t);
    if (m) inner.push({ ...line, from: line.from + m[0].length });
    else if (j > i && t.trim() !== '' && !interrupts(t) && src.slice(inner.at(-1)!.from, inner.at(-1)!.to).trim() !== '')
      inner.push(dedent(src, line, indentOf(t)));
    else break;
  }
  if (inner.length === 0) return undefined;
  return { block: { kind: 'quote', children: parseBlocks(src, inner, open && j === lines.length), from: lines[i]!.from, to: lines[j - 1]!.to }, next: j };
}

/** The cells of a table row: spans between pipes that are not escaped, trimmed. */
function cells(src: string, line: Line): Span[] {
  const t = src.slice(line.from, line.to);
  const out: Span[] = [];
  let start = 0;
  for (let k = 0; k <= t.length; k++) {
    if (k < t.length && (t[k] !== '|' || t[k - 1] === '\\')) continue;
    const raw = t.slice(start, k);
    const lead = raw.length - raw.trimStart().length;
    const cell = { from: line.from + start + lead, to: line.from + start + raw.trimEnd().length };
    if (!((start === 0 && k < t.length && raw.trim() === '') || (k === t.length && raw.trim() === '' && start > 0)))
      out.push(cell.to >= cell.from ? cell : { from: cell.from, to: cell.from });
    start = k + 1;
  }
  return out;
}

function table(src: string, lines: readonly Line[], i: number, open: boolean): Taken | undefined {
  const head = lines[i]!;
  const delimiter = lines[i + 1];
  if (!src.slice(head.from, head.to).includes('|')) return undefined;
  // The last line starts with a pipe: a table's header on its way, drawn as one.
  if (!delimiter) {
    if (!open || !src.slice(head.from, head.to).trimStart().startsWith('|')) return undefined;
    return {
      block: {
        kind: 'table',
        align: cells(src, head).map(() => undefined),
        head: row(src, head, cells(src, head).length, true),
        rows: [],
        from: head.from,
        to: head.to,
      },
      next: i + 1,
    };
  }
  const d = src.slice(delimiter.from, delimiter.to);
  const headCells = cells(src, head);
  const partial = open && delimiter.end === delimiter.to && i + 2 === lines.length && /^ {0,3}\|?[ \t:|-]*$/.test(d) && d.includes('-');
  const aligns = tableDelimiter.test(d) ? cells(src, delimiter).map((c) => src.slice(c.from, c.to)) : undefined;
  if (!partial && (!aligns || aligns.length !== headCells.length)) return undefined;
  const align = headCells.map((_, k): Align => {
    const a = aligns?.[k];
    if (!a || partial) return undefined;
    return a.startsWith(':') && a.endsWith(':') ? 'center' : a.endsWith(':') ? 'right' : a.startsWith(':') ? 'left' : undefined;
  });
  const rows: Inline[][][] = [];
  let j = i + 2;
  for (; j < lines.length; j++) {
    const line = lines[j]!;
    const t = src.slice(line.from, line.to);
    if (t.trim() === '' || interrupts(t)) break;
    rows.push(row(src, line, headCells.length, open && j === lines.length - 1));
  }
  return { block: { kind: 'table', align, head: row(src, head, headCells.length, false), rows, from: head.from, to: lines[j - 1]!.to }, next: j };
}

/** A row's first `count` cells, as inline content (missing ones empty). */
function row(src: string, line: Line, count: number, open: boolean): Inline[][] {
  const found = cells(src, line);
  return Array.from({ length: count }, (_, k) => {
    const cell = found[k];
    return cell ? inlineOf(src, [cell], open && k === found.length - 1) : [];
  });
}

function paragraph(src: string, lines: readonly Line[], i: number, open: boolean): Taken {
  const spans: Span[] = [];
  let j = i;
  for (; j < lines.length; j++) {
    const line = lines[j]!;
    const t = src.slice(line.from, line.to);
    if (t.trim() === '' || (j > i && interrupts(t))) break;
    const d = dedent(src, line, indentOf(t));
    spans.push({ from: d.from, to: d.to });
  }
  return { block: { kind: 'paragraph', inline: inlineOf(src, spans, open && j === lines.length), from: lines[i]!.from, to: lines[j - 1]!.to }, next: j };
}
