import { describe, expect, it } from 'vitest';
import { tokenize } from './tokenize.ts';
import { prompts } from './prompts.ts';

describe('tokenize', () => {
  it.each([
    ['plain words', 'Hello world', ['Hello', ' world']],
    ['empty', '', []],
    ['CRLF stays one piece', 'a\r\nb', ['a', '\r\n', 'b']],
  ])('%s', (_name, text, expected) => {
    expect(tokenize(text)).toEqual(expected);
  });

  it.each([
    ['emoji with skin tone', 'wave 👋🏽 hi'],
    ['ZWJ sequence', '👩‍💻 codes'],
    ['flag', 'Japan 🇯🇵'],
    ['combining marks', 'e\u0301\u0301 cafe\u0301'],
    ['Japanese', 'ストリーミングは速い。'],
    ['Arabic', 'مرحبا بالعالم'],
    ['lone surrogate', 'x\uD800y'],
  ])('%s: joins back exactly and never splits a UTF-8 character', (_name, text) => {
    const tokens = tokenize(text);
    expect(tokens.join('')).toBe(text);
    for (const token of tokens) {
      expect(token).not.toBe('');
      // A token that ends inside a character would not survive a UTF-8 round trip.
      if (!/[\uD800-\uDFFF]/.test(text)) expect(new TextDecoder().decode(new TextEncoder().encode(token))).toBe(token);
    }
  });

  it('gives real BPE tokens: several characters per token on English prose', () => {
    const reply = prompts[0]!.reply;
    const tokens = tokenize(reply);
    expect(tokens.length).toBeGreaterThan(10);
    expect(tokens.length).toBeLessThan(reply.length / 2);
  });
});

describe('scripted prompts', () => {
  it('has at least six, with unique ids, and one long answer of about 600 tokens', () => {
    expect(prompts.length).toBeGreaterThanOrEqual(6);
    expect(new Set(prompts.map((p) => p.id)).size).toBe(prompts.length);
    const longest = Math.max(...prompts.map((p) => tokenize(p.reply).length));
    expect(longest).toBeGreaterThanOrEqual(550);
  });
});
