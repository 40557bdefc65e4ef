/**
 * What an eavesdropper on the network sees of a reply: the sizes of the encrypted records one side
 * sent, newest last. With one token event per record they rise and fall with the tokens' lengths
 * (the side channel lesson 15 shows); padded, they take a few sizes only.
 */
import type { Direction } from '../wire/types.ts';
import type { LaneSegment } from './LaneRecord.svelte.ts';

export interface RecordSizes {
  /** Encrypted bytes of each of the last records, oldest first. */
  sizes: number[];
  /** How many different sizes among them. */
  distinct: number;
}

/**
 * The last `last` encrypted records sent in direction `dir` by the time `limit` (the tap's clock),
 * from a lane's network view: each record's payload is summed over its pieces (a record may arrive
 * in several reads).
 */
export function recordSizes(segments: readonly LaneSegment[], limit: number, dir: Direction = 'down', last = 12): RecordSizes {
  const sizes = new Map<string, number>();
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    if (s.t > limit || s.dir !== dir || s.kind !== 'tls-encrypted') continue;
    const key = `${s.conn}:${s.record}`;
    const size = sizes.get(key);
    if (size === undefined && sizes.size === last) break;
    sizes.set(key, (size ?? 0) + s.length);
  }
  const list = [...sizes.values()].reverse();
  return { sizes: list, distinct: new Set(list).size };
}
