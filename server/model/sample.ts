import { prompts } from './prompts.ts';

/**
 * What a sampled reply says: the scripted reply with some of its words swapped for a word that
 * followed the previous one somewhere in the scripted replies (a word bigram model), so two
 * generations of one prompt differ the way a real model's do while keeping its length and
 * most of its sense. `temperature` sets how often a word is swapped (up to 45% at 2) and how
 * flat the choice is (weights are bigram counts to the power 1/temperature). Pure: the same
 * `random` sequence gives the same text.
 */
export function sampleText(text: string, temperature: number, random: () => number): string {
  if (temperature <= 0) return text;
  const model = withText(text);
  const swap = Math.min(0.45, temperature * 0.225);
  const pieces = text.split(/(\s+)/);
  let previous: string | undefined;
  for (let i = 0; i < pieces.length; i += 2) {
    const word = pieces[i]!;
    if (word === '') continue;
    const next = previous === undefined ? undefined : model.get(previous);
    if (next && random() < swap) pieces[i] = pick(next, temperature, random);
    previous = pieces[i];
  }
  return pieces.join('');
}

/** Successors of each word and how often each followed it. */
type Bigrams = Map<string, Map<string, number>>;

let scripted: Bigrams | undefined;

function withText(text: string): Bigrams {
  scripted ??= bigrams(prompts.map((p) => p.reply));
  if (prompts.some((p) => p.reply === text)) return scripted;
  // The caller's own text: its words join the scripted ones.
  const model: Bigrams = new Map([...scripted].map(([word, next]) => [word, new Map(next)]));
  add(model, text);
  return model;
}

function bigrams(texts: readonly string[]): Bigrams {
  const model: Bigrams = new Map();
  for (const text of texts) add(model, text);
  return model;
}

function add(model: Bigrams, text: string): void {
  const words = text.split(/\s+/).filter((w) => w !== '');
  for (let i = 1; i < words.length; i++) {
    const next = model.get(words[i - 1]!) ?? new Map<string, number>();
    next.set(words[i]!, (next.get(words[i]!) ?? 0) + 1);
    model.set(words[i - 1]!, next);
  }
}

function pick(next: Map<string, number>, temperature: number, random: () => number): string {
  const weighted = [...next].map(([word, count]) => [word, count ** (1 / temperature)] as const);
  let r = random() * weighted.reduce((sum, [, w]) => sum + w, 0);
  for (const [word, w] of weighted) if ((r -= w) < 0) return word;
  return weighted.at(-1)![0];
}
