/**
 * For the markdown tests: blocks drawn as a short tag string (`<p>a <b>b</b></p>`), and the
 * source offsets a reader would see, the way MarkdownView draws them.
 */
import { linesOf, parseBlocks, type Block } from './markdownBlocks.ts';
import type { Inline } from './markdownInline.ts';

export function parse(src: string, open = false): Block[] {
  return parseBlocks(src, linesOf(src), open);
}

const tags = { strong: 'b', em: 'i', code: 'code' } as const;

export function inlineTags(src: string, nodes: readonly Inline[]): string {
  return nodes
    .map((node) => {
      if (node.kind === 'text') return src.slice(node.from, node.to);
      if (node.kind === 'link') return `<a>${inlineTags(src, node.children)}</a>(${inlineTags(src, node.url)})`;
      const tag = tags[node.kind];
      return `<${tag}${node.open ? '…' : ''}>${inlineTags(src, node.children)}</${tag}>`;
    })
    .join('');
}

export function blockTags(src: string, blocks: readonly Block[]): string {
  return blocks
    .map((b) => {
      switch (b.kind) {
        case 'paragraph':
          return `<p>${inlineTags(src, b.inline)}</p>`;
        case 'heading':
          return `<h${b.level}>${inlineTags(src, b.inline)}</h${b.level}>`;
        case 'code':
          return `<pre${b.info ? ` ${b.info}` : ''}${b.open ? '…' : ''}>${inlineTags(src, b.code)}</pre>`;
        case 'list': {
          const tag = b.ordered ? 'ol' : 'ul';
          return `<${tag}${b.ordered && b.start !== 1 ? ` ${b.start}` : ''}${b.tight ? '' : ' loose'}>${b.items.map((item) => `<li>${blockTags(src, item)}</li>`).join('')}</${tag}>`;
        }
        case 'quote':
          return `<q>${blockTags(src, b.children)}</q>`;
        case 'rule':
          return '<hr>';
        case 'table': {
          const row = (cells: Inline[][], tag: string) => `<tr>${cells.map((c) => `<${tag}>${inlineTags(src, c)}</${tag}>`).join('')}</tr>`;
          return `<table>${row(b.head, 'th')}${b.rows.map((r) => row(r, 'td')).join('')}</table>`;
        }
      }
    })
    .join('');
}

/** Source offsets drawn as text, in order. */
export function shownOffsets(blocks: readonly Block[]): number[] {
  const out: number[] = [];
  const inline = (nodes: readonly Inline[]) => {
    for (const node of nodes) {
      if (node.kind === 'text') for (let k = node.from; k < node.to; k++) out.push(k);
      else if (node.kind === 'link') {
        inline(node.children);
        inline(node.url);
      } else inline(node.children);
    }
  };
  const walk = (bs: readonly Block[]) => {
    for (const b of bs) {
      if (b.kind === 'paragraph' || b.kind === 'heading') inline(b.inline);
      else if (b.kind === 'code') inline(b.code);
      else if (b.kind === 'list') b.items.forEach(walk);
      else if (b.kind === 'quote') walk(b.children);
      else if (b.kind === 'table') [b.head, ...b.rows].forEach((row) => row.forEach(inline));
    }
  };
  walk(blocks);
  return out;
}
