import { describe, expect, test } from 'vitest';
import { cuttable, isBefore, piecesBetween, piecesOfSpan, replyStart, tokenAt, tokenStarts, TokenText } from './bubbleText.ts';

const tokens = ['Hi', ' there', '!\n', 'Next', ' line'];

describe('piecesBetween', () => {
  test.each([
    ['the whole reply', replyStart, { token: 5, offset: 0 }, ['Hi', ' there', '!\n', 'Next', ' line']],
    ['up to a cut inside a token', replyStart, { token: 1, offset: 1 }, ['Hi', ' ']],
    ['from a cut inside a token', { token: 1, offset: 1 }, { token: 5, offset: 0 }, ['there', '!\n', 'Next', ' line']],
    ['between two cuts in one token', { token: 1, offset: 1 }, { token: 1, offset: 3 }, ['th']],
    ['past the tokens there are', { token: 3, offset: 0 }, { token: 9, offset: 0 }, ['Next', ' line']],
    ['nothing', { token: 2, offset: 0 }, { token: 2, offset: 0 }, []],
  ])('%s', (_name, from, to, want) => {
    expect(piecesBetween(tokens, from, to).map((p) => p.text)).toEqual(want);
  });

  test('pieces keep their token and where in it they start', () => {
    expect(piecesBetween(tokens, { token: 1, offset: 1 }, { token: 2, offset: 0 })).toEqual([{ token: 1, text: 'there', from: 1 }]);
  });

  test('two sides of a cut join into the token', () => {
    const cut = { token: 3, offset: 2 };
    const joined = [...piecesBetween(tokens, replyStart, cut), ...piecesBetween(tokens, cut, { token: 5, offset: 0 })];
    expect(joined.map((p) => p.text).join('')).toBe(tokens.join(''));
  });
});

test('isBefore', () => {
  expect(isBefore({ token: 1, offset: 3 }, { token: 2, offset: 0 })).toBe(true);
  expect(isBefore({ token: 2, offset: 1 }, { token: 2, offset: 2 })).toBe(true);
  expect(isBefore({ token: 2, offset: 2 }, { token: 2, offset: 2 })).toBe(false);
});

describe('cuttable: only paragraphs with no right-to-left letter', () => {
  test.each([
    ['left-to-right prose', ['Hello', ' world', ' again'], 1, true],
    ['Hebrew in the paragraph', ['Hello', ' שלום', ' again'], 2, false],
    ['Arabic in another paragraph', ['مرحبا', '\n', 'Hello', ' world'], 3, true],
    ['Arabic before the cut, same paragraph', ['Hello', ' مرحبا', ' world'], 2, false],
    ['emoji are neutral', ['👋🏽', ' hi'], 1, true],
  ])('%s', (_name, texts, token, want) => {
    expect(cuttable(texts, { token, offset: 0 })).toBe(want);
  });
});

describe('a span of the text as token pieces', () => {
  const texts = ['Hi', ' **', 'there', '**', '', '!'];
  const starts = tokenStarts(texts);
  test('tokenStarts', () => expect(starts).toEqual([0, 2, 5, 10, 12, 12, 13]));
  test.each([
    ['inside one token', 6, 9, [[2, 'her', 1]]],
    [
      'across tokens',
      1,
      6,
      [
        [0, 'i', 1],
        [1, ' **', 0],
        [2, 't', 0],
      ],
    ],
    [
      'skips empty tokens',
      11,
      13,
      [
        [3, '*', 1],
        [5, '!', 0],
      ],
    ],
    ['nothing', 4, 4, []],
  ] as const)('%s', (_name, from, to, want) => {
    expect(piecesOfSpan(texts, starts, from, to).map((p) => [p.token, p.text, p.from])).toEqual(want);
  });
  test('tokenAt', () => {
    expect([0, 1, 2, 5, 12, 13].map((at) => tokenAt(starts, at))).toEqual([0, 0, 1, 2, 5, 5]);
  });
});

describe('TokenText', () => {
  test('grows, steps back and starts again like joining the tokens', () => {
    const text = new TokenText();
    const check = (shown: readonly string[]) => {
      text.update(shown);
      expect(text.text).toBe(shown.join(''));
      expect(text.starts).toEqual(tokenStarts(shown));
    };
    check([]);
    check(tokens.slice(0, 2));
    check(tokens);
    check(tokens.slice(0, 3));
    check(tokens);
    check(['Another', ' reply']);
    check(['Another', ' reply', '']);
  });
});
