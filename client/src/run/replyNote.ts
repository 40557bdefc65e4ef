/**
 * What a lane says when it read its reply over more than one connection (a resume): whether every
 * connection named the same reply (`X-Streamscope-Reply`), or the reply changed under it. A
 * changed reply is the seam a sampled model shows when the instance it resumed on did not hold
 * the log: a new draw went on from the offset, so the words after it are not the first draw's.
 */
export interface ReplyNote {
  changed: boolean;
  text: string;
}

export function replyNote(replies: readonly string[]): ReplyNote | undefined {
  if (replies.length < 2) return undefined;
  const distinct = [...new Set(replies)];
  if (distinct.length === 1) return { changed: false, text: `the same reply on all ${replies.length} connections (${short(distinct[0]!)})` };
  return {
    changed: true,
    text: `the reply changed when it resumed (${replies.map(short).join(' → ')}): a new draw went on from the cut, so the words after it do not follow from the ones before`,
  };
}

/** The part of a reply id a person tells apart: a sampled reply's draw, or the end of its settings' hash. */
function short(id: string): string {
  return `…${id.slice(-6)}`;
}
