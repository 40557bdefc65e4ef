import { describe, expect, test } from 'vitest';
import { isPlain, MarkdownDoc, mayHaveMarkdown, ProseCheck, share } from './markdownDoc.ts';
import { parse } from './markdownTesting.ts';
import { prompts } from '../../../server/model/prompts.ts';
import { tokenize } from '../../../server/model/tokenize.ts';

describe('MarkdownDoc: parsed as it grows', () => {
  test.each(prompts.map((p) => [p.id, p.reply] as const))('%s: each token prefix parses as a whole parse would', (_id, reply) => {
    const tokens = tokenize(reply);
    const doc = new MarkdownDoc();
    let text = '';
    for (const token of tokens) {
      text += token;
      expect(doc.update(text, true)).toEqual(parse(text, true));
    }
    expect(doc.update(text, false)).toEqual(parse(text, false));
  });

  test('complete blocks are kept, the same objects, and only the open block is parsed again', () => {
    const doc = new MarkdownDoc();
    const first = doc.update('# Title\n\nA paragraph.\n\n- one\n- t', true);
    expect(first.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'list']);
    const next = doc.update('# Title\n\nA paragraph.\n\n- one\n- two\n- thr', true);
    expect(next[0]).toBe(first[0]);
    expect(next[1]).toBe(first[1]);
    expect(next[2]).not.toBe(first[2]);
    // Parsing started at the list: the blocks before it were not read again.
    expect(doc.parsedFrom).toBe('# Title\n\nA paragraph.\n'.length);
  });

  test('a block is not complete until the next block’s first line has ended', () => {
    const doc = new MarkdownDoc();
    // `*` could start a new list or a bold word that continues the item: the item stays open.
    doc.update('- a\n*', true);
    expect(doc.update('- a\n**b**', true)).toEqual(parse('- a\n**b**', true));
  });

  test('scrubbing back drops what the shorter text does not complete, and forward again', () => {
    const doc = new MarkdownDoc();
    const full = 'Intro\n\n```js\ncode\n```\n\nAfter **all**.';
    for (let n = 1; n <= full.length; n++) doc.update(full.slice(0, n), true);
    for (const n of [full.length - 3, 12, 3, 20, full.length]) expect(doc.update(full.slice(0, n), true)).toEqual(parse(full.slice(0, n), true));
  });

  test('a different text starts over', () => {
    const doc = new MarkdownDoc();
    doc.update('# One\n\ntwo\n\nthree', true);
    expect(doc.update('- x\n\ny\n\nz', true)).toEqual(parse('- x\n\ny\n\nz', true));
  });

  test('the finished reply closes its last block; streaming the same text again opens it', () => {
    const doc = new MarkdownDoc();
    expect(doc.update('a **b', false)).toEqual(parse('a **b', false));
    expect(doc.update('a **b', true)).toEqual(parse('a **b', true));
  });
});

test.each([
  ['prose', 'Hello there.\nSecond line.\n\nA new paragraph.', true],
  ['stars between spaces', '2 * 3 = 6', true],
  ['bold', 'a **b** c', false],
  ['a list', 'intro\n\n- item', false],
  ['indented lines', 'a\n  b', false],
  ['an escape', 'a \\* b', false],
  ['a marker still arriving', '##', false],
  ['a list marker still arriving', 'a\n\n1.', false],
])('isPlain: %s', (_name, src, want) => {
  expect(isPlain(parse(src, true), src)).toBe(want);
});

test('the open block keeps the parts that did not change: a growing list keeps its earlier items', () => {
  const doc = new MarkdownDoc();
  const before = doc.update('- one **a**\n- two\n- th', true);
  const after = doc.update('- one **a**\n- two\n- three', true);
  const [was, is] = [before[0]!, after[0]!];
  if (was.kind !== 'list' || is.kind !== 'list') throw new Error('not a list');
  expect(is).not.toBe(was);
  expect(is.items[0]).toBe(was.items[0]);
  expect(is.items[1]).toBe(was.items[1]);
  expect(is.items[2]).not.toBe(was.items[2]);
  expect(after).toEqual(parse('- one **a**\n- two\n- three', true));
});

test.each([
  ['equal objects', { a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, true],
  ['a changed leaf', { a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }, false],
  ['a longer array', [1, 2], [1, 2, 3], false],
  ['a key gone', { a: 1, b: 2 }, { a: 1 }, false],
])('share: %s', (_name, old, fresh, same) => {
  const out = share<unknown>(old, fresh);
  expect(out).toEqual(fresh);
  expect(out === old).toBe(same);
});

describe('mayHaveMarkdown: a text without it is never parsed', () => {
  test.each([
    ['prose', 'Streaming keeps the first words fast.\nA second line, with 👋🏽 and "quotes" (and brackets).', false],
    ['a hyphen inside a line', 'well-known and 3 - 2', false],
    ['a number starting a line with no dot', '2024 was a year', false],
    ['bold', 'a **b**', true],
    ['a list', 'a\n- b', true],
    ['a numbered item', 'a\n1. b', true],
    ['a number alone on the last line', 'a\n1', true],
    ['a heading', '# a', true],
    ['a quote', '> a', true],
    ['an indented line', 'a\n  b', true],
    ['a table', 'a | b', true],
    ['a link', '[a](b)', true],
  ])('%s', (_name, src, want) => {
    expect(mayHaveMarkdown(src)).toBe(want);
  });

  // What it calls plain, the parser does too.
  test.each(prompts.map((p) => [p.id, p.reply] as const))('%s', (_id, reply) => {
    const tokens = tokenize(reply);
    let text = '';
    for (const token of tokens) {
      text += token;
      if (!mayHaveMarkdown(text)) expect(isPlain(parse(text, true), text)).toBe(true);
    }
  });
});

test('ProseCheck looks at the new tokens and the line they continue', () => {
  const check = new ProseCheck();
  const tokens = ['Plain', ' words', '.\n', '2024', ' was', ' fine', '\n', '-', ' item'];
  const seen = tokens.map((_, n) => check.isProse(tokens.slice(0, n + 1)));
  // "2024" alone on its line may start a numbered item; " was" settles it; "-" at a line start may be a list.
  expect(seen).toEqual([true, true, true, false, true, true, true, false, false]);
  expect(check.isProse(tokens.slice(0, 2))).toBe(true);
  expect(check.isProse(['**', 'bold'])).toBe(false);
  expect(check.isProse(['Other', ' text'])).toBe(true);
});

test('ProseCheck on a long line scans only the new text, and still sees syntax in it', () => {
  const check = new ProseCheck();
  const words = Array.from({ length: 200 }, (_, i) => `word${i} `);
  for (let n = 1; n <= words.length; n++) expect(check.isProse(words.slice(0, n))).toBe(true);
  expect(check.isProse([...words, ' -based'])).toBe(true);
  expect(check.isProse([...words, ' -based', ' **b'])).toBe(false);
  expect(check.isProse([...words, ' -based', '\n', '- item'])).toBe(false);
});
