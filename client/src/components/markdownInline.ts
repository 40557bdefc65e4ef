/**
 * Inline markdown for the chat bubble: `**strong**`, `*em*` (and `_`), `` `code` ``,
 * `[links](url)` and backslash escapes, a subset of CommonMark (https://spec.commonmark.org/0.31.2/#inlines).
 *
 * Every character shown is a character of the source, found by its offset: markers are left
 * out, never rewritten, so the text is never turned into HTML and each shown character still
 * belongs to the token that brought it.
 *
 * While a block is still streaming (`open`), a construct that has begun is drawn as far as it
 * has come, as chat products do: `**bo` is bold "bo", `` `co `` is code "co", and markers at the
 * very end (a lone `*` that may become `**`) wait, hidden, for the next token. Once the block is
 * complete, an opener with no closer is plain text again, as CommonMark has it.
 */

/** A stretch of the source shown as it is: [from, to). */
export interface Span {
  from: number;
  to: number;
}

export type Inline =
  | ({ kind: 'text' } & Span)
  | { kind: 'code'; children: Inline[]; open: boolean }
  | { kind: 'strong' | 'em'; children: Inline[]; open: boolean }
  | { kind: 'link'; children: Inline[]; url: Inline[]; open: boolean };

type Item =
  | ({ t: 'text' } & Span)
  | { t: 'node'; node: Inline }
  | ({ t: 'delim'; ch: '*' | '_'; canOpen: boolean; canClose: boolean; length: number } & Span)
  | ({ t: 'bracket' } & Span);

const punctuation = /[\p{P}\p{S}]/u;
const space = /\s/u;
const asciiPunctuation = /[!-/:-@[-`{-~]/;

/** Moves content offsets to source offsets: `place(a, b)` gives the source spans of content [a, b). */
export function placeInline(nodes: readonly Inline[], place: (from: number, to: number) => Span[]): Inline[] {
  return nodes.flatMap((node): Inline[] => {
    if (node.kind === 'text') return place(node.from, node.to).map((span) => ({ kind: 'text', ...span }));
    if (node.kind === 'link') return [{ ...node, children: placeInline(node.children, place), url: placeInline(node.url, place) }];
    return [{ ...node, children: placeInline(node.children, place) }];
  });
}

/**
 * Parses `s` (content coordinates: 0 is `s[0]`) into inline nodes. `open`: the block may still
 * grow, so unclosed constructs are drawn as in progress (see the file's comment).
 */
export function parseInline(s: string, open = false): Inline[] {
  const items: Item[] = [];
  let textFrom = 0;
  const flush = (to: number) => {
    if (to > textFrom) items.push({ t: 'text', from: textFrom, to });
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') {
      if (i + 1 < s.length && asciiPunctuation.test(s[i + 1]!)) {
        flush(i);
        textFrom = i + 1;
        i += 2;
        continue;
      }
      if (open && i + 1 === s.length) break; // may escape the next token's first character
      i++;
    } else if (c === '`') {
      const n = runLength(s, i, '`');
      let close = findBackticks(s, i + n, n);
      // Backticks at the very end may be the start of a longer run: they close nothing yet.
      const waiting = open && close >= 0 && close + n === s.length;
      if (close >= 0 || open) {
        flush(i);
        const end = close >= 0 ? close : s.length;
        if (waiting) close = -1;
        items.push({ t: 'node', node: codeSpan(s, i + n, end, close < 0) });
        i = close >= 0 ? close + n : s.length;
        textFrom = i;
      } else i += n;
    } else if (c === '*' || c === '_') {
      const n = runLength(s, i, c);
      flush(i);
      items.push(delimiter(s, c, i, i + n));
      i += n;
      textFrom = i;
    } else if (c === '[') {
      flush(i);
      items.push({ t: 'bracket', from: i, to: i + 1 });
      i++;
      textFrom = i;
    } else if (c === ']') {
      const b = findLastIndex(items, (item) => item.t === 'bracket');
      const link = b >= 0 && s[i + 1] === '(' ? linkEnd(s, i + 2, open) : undefined;
      if (!link) {
        i++;
        continue;
      }
      flush(i);
      const children = finish(emphasis(items.slice(b + 1)), false);
      // No link inside a link: earlier brackets are text from now on.
      const before = items.slice(0, b).map((item): Item => (item.t === 'bracket' ? { ...item, t: 'text' } : item));
      items.length = 0;
      items.push(...before, {
        t: 'node',
        node: { kind: 'link', children, url: link.url > i + 2 ? [{ kind: 'text', from: i + 2, to: link.url }] : [], open: link.open },
      });
      i = link.open ? s.length : link.url + 1;
      textFrom = i;
    } else i++;
  }
  if (open && i >= s.length) {
    // Markers at the very end wait for the token after them.
    const last = items.at(-1);
    if (textFrom >= s.length && last?.t === 'delim' && last.to === s.length) items.pop();
  }
  let end = Math.min(i, s.length);
  if (open) {
    // A `[` with no `]` yet, or with `]` the last character, may be a link's text: its brackets wait.
    const b = findLastIndex(items, (item) => item.t === 'bracket');
    const bracket = items[b];
    const close = bracket?.t === 'bracket' ? s.indexOf(']', bracket.from) : 0;
    if (b >= 0 && (close < 0 || close === s.length - 1)) {
      items.splice(b, 1);
      if (close >= 0 && textFrom <= close) end = close;
    }
  }
  flush(end);
  return finish(emphasis(items), open);
}

function runLength(s: string, at: number, c: string): number {
  let n = 0;
  while (s[at + n] === c) n++;
  return n;
}

/** Where the next run of exactly `n` backticks starts, or -1. */
function findBackticks(s: string, from: number, n: number): number {
  for (let j = s.indexOf('`', from); j >= 0; j = s.indexOf('`', j)) {
    const m = runLength(s, j, '`');
    if (m === n) return j;
    j += m;
  }
  return -1;
}

/** Code from `from` to `to`: one space is stripped on both sides when both are spaces (CommonMark 6.1). */
function codeSpan(s: string, from: number, to: number, open: boolean): Inline {
  // Still arriving: backticks at the very end may be the closing run on its way.
  if (open) while (to > from && s[to - 1] === '`') to--;
  const body = s.slice(from, to);
  const strip = !open && body.length >= 2 && body[0] === ' ' && body.at(-1) === ' ' && body.trim() !== '';
  // Still arriving: a space on either side may be one that the closing backticks will strip.
  const a = strip || (open && body[0] === ' ') ? from + 1 : from;
  const b = Math.max(a, strip || (open && body.length > 1 && body.at(-1) === ' ') ? to - 1 : to);
  return { kind: 'code', children: b > a ? [{ kind: 'text', from: a, to: b }] : [], open };
}

/** A run of `*` or `_` and whether it may open or close emphasis (CommonMark 6.2, flanking rules). */
function delimiter(s: string, ch: '*' | '_', from: number, to: number): Item {
  const before = s[from - 1] ?? '\n';
  const after = s[to] ?? '\n';
  const left = !space.test(after) && (!punctuation.test(after) || space.test(before) || punctuation.test(before));
  const right = !space.test(before) && (!punctuation.test(before) || space.test(after) || punctuation.test(after));
  const canOpen = ch === '*' ? left : left && (!right || punctuation.test(before));
  const canClose = ch === '*' ? right : right && (!left || punctuation.test(after));
  return { t: 'delim', ch, from, to, canOpen, canClose, length: to - from };
}

/** The `)` that ends a link destination starting at `from` (no spaces in it), or one still arriving. */
function linkEnd(s: string, from: number, open: boolean): { url: number; open: boolean } | undefined {
  for (let j = from; j < s.length; j++) {
    const c = s[j]!;
    if (c === ')') return { url: j, open: false };
    if (space.test(c) || c === '(') return undefined;
  }
  return open ? { url: s.length, open: true } : undefined;
}

function findLastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let k = items.length - 1; k >= 0; k--) if (test(items[k]!)) return k;
  return -1;
}

/** Pairs delimiter runs into strong and em nodes, as CommonMark's "process emphasis" does (simplified). */
function emphasis(items: Item[]): Item[] {
  // Openers still unmatched to the left, by character: with none, a closer looks no further (no quadratic scan).
  const openers = { '*': 0, _: 0 };
  for (let c = 0; c < items.length; c++) {
    const closer = items[c]!;
    if (closer.t !== 'delim') continue;
    let o = -1;
    if (closer.canClose && closer.length > 0 && openers[closer.ch] > 0) {
      for (o = c - 1; o >= 0; o--) {
        const opener = items[o]!;
        if (opener.t !== 'delim' || opener.ch !== closer.ch || !opener.canOpen || opener.length === 0) continue;
        // The rule of 3: `*foo**bar*` keeps `**` inside.
        const both = (opener.canOpen && opener.canClose) || (closer.canOpen && closer.canClose);
        const sum = opener.length + closer.length;
        if (both && sum % 3 === 0 && !(opener.length % 3 === 0 && closer.length % 3 === 0)) continue;
        break;
      }
    }
    if (o >= 0) {
      const opener = items[o] as Extract<Item, { t: 'delim' }>;
      const use = opener.length >= 2 && closer.length >= 2 ? 2 : 1;
      const inside = items.slice(o + 1, c);
      // Openers inside are text now.
      for (const item of inside) if (item.t === 'delim' && item.canOpen && item.length > 0) openers[item.ch]--;
      const children = finish(inside, false);
      opener.length -= use;
      opener.to -= use;
      if (opener.length === 0) openers[opener.ch]--;
      closer.length -= use;
      closer.from += use;
      items.splice(o + 1, c - o - 1, { t: 'node', node: { kind: use === 2 ? 'strong' : 'em', children, open: false } });
      c = o + 1; // the closer, now right after the new node: look at what is left of it again
      continue;
    }
    if (closer.canClose && !closer.canOpen) closer.canClose = false;
    if (closer.canOpen && closer.length > 0) openers[closer.ch]++;
  }
  return items;
}

/**
 * Items to nodes. Unmatched delimiters and brackets are text; in an `open` block an opener
 * that can still be closed wraps everything after it, drawn as in progress.
 */
function finish(items: Item[], open: boolean): Inline[] {
  if (open) {
    // The newest unmatched opener of each kind only: older ones are text, as they will be if nothing closes them.
    const wrapped = new Set<string>();
    for (let o = items.length - 1; o >= 0; o--) {
      const opener = items[o]!;
      if (opener.t !== 'delim' || !opener.canOpen || opener.length === 0 || o === items.length - 1) continue;
      const kind = `${opener.ch}${Math.min(opener.length, 2)}`;
      if (wrapped.has(kind)) continue;
      wrapped.add(kind);
      const children = finish(items.slice(o + 1), false);
      const node: Inline = { kind: opener.length >= 2 ? 'strong' : 'em', children, open: true };
      items.splice(o, items.length - o, { t: 'node', node });
    }
  }
  const nodes: Inline[] = [];
  for (const item of items) {
    if (item.t === 'node') nodes.push(item.node);
    else if (item.t !== 'delim' || item.length > 0) {
      const last = nodes.at(-1);
      // Neighbouring text joins into one node.
      if (last?.kind === 'text' && last.to === item.from) last.to = item.to;
      else nodes.push({ kind: 'text', from: item.from, to: item.to });
    }
  }
  return nodes;
}
