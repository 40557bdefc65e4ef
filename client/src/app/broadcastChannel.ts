/**
 * Broadcast follow over the network (README "Classroom mode"): the presenter's page POSTs what
 * its live run records (`publishRuns`), and a watching follower's page holds one event stream of
 * it (`watchBroadcast`) and rebuilds the run with `BroadcastBuilder`.
 */
import {
  broadcastMaxBytes,
  broadcastMaxRecords,
  broadcastPath,
  type BroadcastBatch,
  type BroadcastFull,
  type BroadcastSeqProblem,
} from '../../../shared/broadcast.ts';
import { BroadcastBuilder, RunCursor, publishEveryMs } from '../run/broadcast.ts';
import type { Run } from '../run/Run.svelte.ts';
import { pageNow } from '../transports/types.ts';

/** What the page needs of the answer to a batch: its status, and for a 409 the seq the server takes next (`BroadcastSeqProblem`). */
export interface PostAnswer {
  ok: boolean;
  status: number;
  expected?: number;
}

type Post = (batch: BroadcastBatch) => Promise<PostAnswer>;

/** What `publishRuns` needs of the server's answer to a batch: for a 409, the seq it names. */
export async function answerOf(response: Response): Promise<PostAnswer> {
  if (response.status !== 409) return { ok: response.ok, status: response.status };
  const body = (await response.json().catch(() => null)) as Partial<BroadcastSeqProblem> | null;
  return { ok: false, status: 409, ...(typeof body?.expected === 'number' ? { expected: body.expected } : {}) };
}

const postBatch: Post = async (batch) =>
  answerOf(await fetch(broadcastPath, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch) }));

/** Times in a row a run is sent again from an earlier batch before the page gives up on it (a server that keeps losing it). */
const maxResends = 5;

/**
 * Publishes each live run of `source()` (the studio's current run) every `publishEveryMs`: the
 * records since the last batch, one POST at a time. A failed POST (the network, 503, 429) is sent
 * again (the server ignores a batch it already has). The page keeps the run's batches as it sent
 * them (up to the server's default caps: `broadcastMaxRecords`, `broadcastMaxBytes`), so a 409
 * naming an earlier seq (`expected`: 0 when the class's Redis came back empty and the batch met a
 * process that had not kept the run) sends them again from there, the very same ones (same seq,
 * records and `sentAt`, so followers get the same events and repeats are ignored), then goes on.
 * Any other refusal (403, 413: the run is full, …) stops that run's broadcast. Runs loaded from a
 * file are not broadcast: followers load a lesson's recording themselves. Returns the way to stop.
 */
export function publishRuns(source: () => Run | null, post: Post = postBatch): () => void {
  let cursor: RunCursor | null = null;
  /** The run's batches from seq `first` on: all of them while they fit the caps; past that, only those not yet taken. */
  let batches: BroadcastBatch[] = [];
  let first = 0;
  let whole = true;
  let keptRecords = 0;
  let keptBytes = 0;
  /** The seq to send next; `batches` holds up to `first + batches.length - 1`. */
  let next = 0;
  /** The highest seq taken so far, and the times the run was sent again since. */
  let taken = -1;
  let resends = 0;
  let refused = false;
  let busy = false;

  const keep = (batch: BroadcastBatch): void => {
    batches.push(batch);
    if (!whole) return;
    keptRecords += batch.records.length;
    keptBytes += JSON.stringify(batch).length;
    if (keptRecords <= broadcastMaxRecords && keptBytes <= broadcastMaxBytes) return;
    // Past what the server keeps of a run: it cannot be sent again whole; keep only what is not yet taken.
    whole = false;
    forgetTaken();
  };
  const forgetTaken = (): void => {
    batches = batches.slice(next - first);
    first = next;
  };
  const stop = (): void => {
    refused = true;
    batches = [];
    first = next;
  };

  const tick = async (): Promise<void> => {
    if (busy) return;
    const run = source();
    if (run && run !== cursor?.run && run.state === 'live') {
      cursor = new RunCursor(run);
      batches = [];
      first = next = keptRecords = keptBytes = resends = 0;
      taken = -1;
      whole = true;
      refused = false;
    }
    if (!cursor || refused) return;
    if (next === first + batches.length) {
      const records = cursor.take();
      if (records.length === 0) return;
      // Stamped once: a batch sent again is the same batch.
      keep({ run: cursor.run.id, seq: next, sentAt: pageNow(), records });
    }
    const forRun = cursor;
    busy = true;
    try {
      while (next < first + batches.length) {
        const response = await post(batches[next - first]!);
        if (forRun !== cursor) return;
        if (response.ok) {
          if (next > taken) {
            taken = next;
            resends = 0;
          }
          next++;
          if (!whole) forgetTaken();
        } else if (response.status === 503 || response.status === 429) return;
        else if (
          response.status === 409 &&
          response.expected !== undefined &&
          response.expected >= first &&
          response.expected < next + 1 &&
          resends < maxResends
        ) {
          // The server holds the run only up to `expected` (none of it, for 0): the same batches again from there.
          resends++;
          next = response.expected;
        } else return stop();
      }
    } catch {
      // The network: send the same batch again on the next tick.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), publishEveryMs);
  return () => clearInterval(timer);
}

export interface WatchHandlers {
  /** A run began (or the stream reconnected into one): show it. Called again as it grows, with the same run. */
  onrun(run: Run, isNew: boolean): void;
  /** The run passed the server's cap: nothing more of it will come. */
  onfull(full: BroadcastFull): void;
}

/** Watches the presenter's broadcast: the run so far, then live. Returns the way to stop. */
export function watchBroadcast(handlers: WatchHandlers): () => void {
  const source = new EventSource(broadcastPath);
  const builder = new BroadcastBuilder();
  source.addEventListener('run', () => builder.reset());
  source.addEventListener('batch', (event) => {
    const before = builder.run;
    const run = builder.apply(JSON.parse((event as MessageEvent<string>).data) as BroadcastBatch, pageNow());
    if (run) handlers.onrun(run, run !== before);
  });
  source.addEventListener('full', (event) => handlers.onfull(JSON.parse((event as MessageEvent<string>).data) as BroadcastFull));
  return () => source.close();
}
