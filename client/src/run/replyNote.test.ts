import { describe, expect, it } from 'vitest';
import { replyNote } from './replyNote.ts';

describe('replyNote', () => {
  it.each([
    [[], undefined],
    [['sse-abc'], undefined],
  ])('says nothing for one connection or none (%j)', (replies, note) => {
    expect(replyNote(replies)).toBe(note);
  });

  it('says the reply stayed the same over a resume', () => {
    expect(replyNote(['sse-AAAA-5lw97x', 'sse-AAAA-5lw97x'])).toEqual({ changed: false, text: 'the same reply on all 2 connections (…5lw97x)' });
  });

  it('names the seam when a resume read another reply', () => {
    const note = replyNote(['sse-AAAA-5lw97x', 'sse-AAAA-1ggv5xd']);
    expect(note?.changed).toBe(true);
    expect(note?.text).toMatch(/^the reply changed when it resumed \(…5lw97x → …ggv5xd\): .*new draw/);
  });
});
