/**
 * What each simulated follower of the hall benchmark got: the broadcast's batches by `seq`, and
 * how late each arrived after the presenter sent it. A follower does not parse the batches (at
 * 4,000 followers that would measure the load process, not the server): it finds each batch's
 * head in the bytes, `event: batch` and the start of its data, `{"run":"…","seq":N,"sentAt":T,`,
 * which the server writes in that order (`readBatch` builds the batch with those keys first,
 * `sseEvent` serializes it). JSON escapes line breaks, so the marker cannot occur inside a record.
 */

const batchMarker = Buffer.from('event: batch\ndata: {"run":"');
const fullMarker = Buffer.from('event: full\n');
const recordsKey = Buffer.from(',"records":');
/** A batch head longer than this is not one (a run id is at most 64 characters). */
const maxHead = 200;
const headPattern = /^[A-Za-z0-9_-]{1,64}","seq":(\d+),"sentAt":(-?[0-9.eE+-]+)$/;

/** Finds batch heads in one follower's event stream, fed in pieces of any size. */
export class BatchScanner {
  /** The end of the last piece, when a marker or a head may continue in the next. */
  #carry: Buffer | null = null;
  /** `full` events seen (the run reached the server's cap). */
  full = 0;

  /** Calls `onBatch` for each batch head complete in what has come so far. */
  feed(piece: Buffer, onBatch: (seq: number, sentAt: number) => void): void {
    const buf = this.#carry ? Buffer.concat([this.#carry, piece]) : piece;
    this.#carry = null;
    for (let at = buf.indexOf(fullMarker); at >= 0; at = buf.indexOf(fullMarker, at + 1)) this.full++;
    let pos = 0;
    for (;;) {
      const start = buf.indexOf(batchMarker, pos);
      if (start < 0) {
        // Keep what could be the start of a marker cut by the piece's end.
        const keep = Math.min(buf.length - pos, batchMarker.length - 1);
        if (keep > 0) this.#carry = Buffer.from(buf.subarray(buf.length - keep));
        return;
      }
      const headStart = start + batchMarker.length;
      const headEnd = buf.indexOf(recordsKey, headStart);
      if (headEnd < 0 || headEnd - headStart > maxHead) {
        if (buf.length - headStart <= maxHead) {
          // The head goes on in the next piece.
          this.#carry = Buffer.from(buf.subarray(start));
          return;
        }
        pos = headStart;
        continue;
      }
      const match = headPattern.exec(buf.toString('latin1', headStart, headEnd));
      if (match) onBatch(Number(match[1]), Number(match[2]));
      pos = headEnd;
    }
  }
}

/** The batches one follower received. */
export class FollowerLog {
  readonly #seen = new Set<number>();
  /** Batches that came a second time. */
  duplicates = 0;
  /** Batches that came after a later one. */
  outOfOrder = 0;
  #last = -1;

  /** Notes batch `seq`; false if it had come before. */
  receive(seq: number): boolean {
    if (this.#seen.has(seq)) {
      this.duplicates++;
      return false;
    }
    this.#seen.add(seq);
    if (seq < this.#last) this.outOfOrder++;
    this.#last = Math.max(this.#last, seq);
    return true;
  }

  /** Whether batch `seq` came. */
  has(seq: number): boolean {
    return this.#seen.has(seq);
  }

  /** Of batches 0 … published − 1, how many never came. */
  missing(published: number): number {
    let got = 0;
    for (const seq of this.#seen) if (seq >= 0 && seq < published) got++;
    return published - got;
  }
}

export interface Loss {
  /** Batches every follower should have had (followers × published). */
  expected: number;
  /** Of those, batches that never came. */
  lost: number;
  /** Followers that missed at least one. */
  followersMissing: number;
  duplicates: number;
  outOfOrder: number;
}

/** Counts what the followers missed of the `published` batches (seq 0 … published − 1). */
export function countLoss(followers: readonly FollowerLog[], published: number): Loss {
  const loss: Loss = { expected: followers.length * published, lost: 0, followersMissing: 0, duplicates: 0, outOfOrder: 0 };
  for (const follower of followers) {
    const missing = follower.missing(published);
    loss.lost += missing;
    if (missing > 0) loss.followersMissing++;
    loss.duplicates += follower.duplicates;
    loss.outOfOrder += follower.outOfOrder;
  }
  return loss;
}

/** Whether a rung holds: p99 delivery lateness under the limit, nothing lost, no follower failed. */
export function hallHeld(result: { lateness: { p99: number }; loss: Pick<Loss, 'lost'>; failed: number }, p99LimitMs: number): boolean {
  return result.lateness.p99 < p99LimitMs && result.loss.lost === 0 && result.failed === 0;
}
