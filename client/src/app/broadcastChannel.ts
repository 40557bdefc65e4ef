/**
 * Broadcast follow over the network (README "Classroom mode"): the presenter's page POSTs what
 * its live run records (`publishRuns`), and a watching follower's page holds one event stream of
 * it (`watchBroadcast`) and rebuilds the run with `BroadcastBuilder`.
 */
import { broadcastPath, type BroadcastBatch, type BroadcastFull } from '../../../shared/broadcast.ts';
import { BroadcastBuilder, RunCursor, publishEveryMs } from '../run/broadcast.ts';
import type { Run } from '../run/Run.svelte.ts';
import { pageNow } from '../transports/types.ts';

type Post = (batch: BroadcastBatch) => Promise<{ ok: boolean; status: number }>;

const postBatch: Post = (batch) => fetch(broadcastPath, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch) });

/**
 * Publishes each live run of `source()` (the studio's current run) every `publishEveryMs`: the
 * records since the last batch, one POST at a time. A failed POST is sent again (the server
 * ignores a batch it already has); a refusal (403, 413, …) stops that run's broadcast. Runs loaded
 * from a file are not broadcast: followers load a lesson's recording themselves. Returns the way to stop.
 */
export function publishRuns(source: () => Run | null, post: Post = postBatch): () => void {
  let cursor: RunCursor | null = null;
  let seq = 0;
  let pending: BroadcastBatch | null = null;
  let refused = false;
  let busy = false;

  const tick = async (): Promise<void> => {
    if (busy) return;
    const run = source();
    if (run && run !== cursor?.run && run.state === 'live') {
      cursor = new RunCursor(run);
      seq = 0;
      pending = null;
      refused = false;
    }
    if (!cursor || refused) return;
    if (!pending) {
      const records = cursor.take();
      if (records.length === 0) return;
      pending = { run: cursor.run.id, seq, sentAt: 0, records };
    }
    const batch = { ...pending, sentAt: pageNow() };
    const forRun = cursor;
    busy = true;
    try {
      const response = await post(batch);
      if (forRun !== cursor) return;
      if (response.ok) {
        seq++;
        pending = null;
      } else if (response.status !== 503 && response.status !== 429) refused = true;
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
