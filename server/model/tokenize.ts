import { encode, decodeGenerator } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Splits text into the pieces a real LLM would emit: o200k_base BPE tokens (GPT-4o's), merged
 * where a token ends inside a UTF-8 character (an emoji is often two or three BPE tokens, none
 * of which is valid text alone). Joining the pieces gives back `text` exactly.
 */
export function tokenize(text: string): string[] {
  if (text === '') return [];
  // decodeGenerator holds back bytes until they form whole characters, which is exactly the
  // merge we want: each yielded string is one token, or several that share a character.
  const pieces = [...decodeGenerator(encode(text))];
  // Text that is not well-formed UTF-16 (a lone surrogate) cannot round-trip through UTF-8 bytes;
  // fall back to one piece per code point rather than ever changing the text.
  return pieces.join('') === text ? pieces : Array.from(text);
}
