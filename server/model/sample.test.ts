import { describe, expect, it } from 'vitest';
import { sampleText } from './sample.ts';
import { seededRandom } from './random.ts';
import { prompts } from './prompts.ts';

const scripted = prompts[0]!.reply;
const words = (text: string) => text.split(/\s+/).filter((w) => w !== '');

describe('sampleText', () => {
  it('temperature 0 says the scripted text', () => {
    expect(sampleText(scripted, 0, seededRandom(1))).toBe(scripted);
  });

  it('the same seed gives the same words; another seed other words', () => {
    const a = sampleText(scripted, 1, seededRandom(7));
    expect(sampleText(scripted, 1, seededRandom(7))).toBe(a);
    expect(sampleText(scripted, 1, seededRandom(8))).not.toBe(a);
    expect(a).not.toBe(scripted);
  });

  it('keeps the length in words and the whitespace; swaps more words when hotter', () => {
    const swapped = (t: number) => {
      const sampled = words(sampleText(scripted, t, seededRandom(3)));
      expect(sampled).toHaveLength(words(scripted).length);
      return sampled.filter((w, i) => w !== words(scripted)[i]).length;
    };
    expect(swapped(0.2)).toBeLessThan(swapped(2));
    expect(sampleText('one\n\ntwo  three', 2, seededRandom(1)).split(/\S+/)).toEqual(['', '\n\n', '  ', '']);
  });
});
