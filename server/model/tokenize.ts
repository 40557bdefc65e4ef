import { encode, decodeGenerator } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Splits text into the pieces a real LLM would emit: o200k_base BPE tokens (GPT-4o's), merged
 * where a token ends inside a UTF-8 character (an emoji is often two or three BPE tokens, none
 * of which is valid text alone). Joining the pieces gives back `text` exactly.
 */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const run of runs(text)) {
    // decodeGenerator holds back bytes until they form whole characters, which is exactly the
    // merge we want: each yielded string is one token, or several that share a character.
    const pieces = [...decodeGenerator(encode(run))];
    // Text that is not well-formed UTF-16 (a lone surrogate) cannot round-trip through UTF-8
    // bytes; fall back to one piece per code point rather than ever changing the text.
    tokens.push(...(pieces.join('') === run ? pieces : Array.from(run)));
  }
  return tokens;
}

/** Soft and hard limits on a run, in UTF-16 code units. */
const soft = 200;
const hard = 400;

/**
 * BPE merges take time quadratic in the length of a pre-tokenized word, and a learner's text
 * may be 20,000 emoji with no space at all (seconds of blocked server). So the text is encoded
 * in runs: cut before whitespace once a run is `soft` long (where the tokenizer would split
 * anyway, since words carry their leading space), and at any code point once it is `hard` long.
 */
function* runs(text: string): Generator<string> {
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const length = i - start;
    if ((length >= soft && /\s/.test(text[i]!)) || length >= hard) {
      yield text.slice(start, i);
      start = i;
    }
    // Step over a whole code point, so a cut never splits a surrogate pair.
    const code = text.charCodeAt(i);
    i += code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  if (start < text.length) yield text.slice(start);
}
