/**
 * Broadcast follow: the presenter's page publishes its run in batches, and every follower that
 * watches gets them over one event stream. The server keeps the current run's batches, each
 * encoded once as an event (`sseEvent`), so N followers cost N writes of the same string, not N
 * generations; a follower that connects late gets the run so far from those, then live ones.
 *
 * Bounds and faults:
 * - a run is capped (`maxRecords`, `maxBytes`): the batch that would pass the cap is refused
 *   (413), followers get one `full` event, and the run stays as it was;
 * - a slow follower does not hold anyone up: each follower is a cursor into the run's frames, and
 *   one whose socket buffer holds more than `slowBytes` gets nothing more until it drains, then
 *   catches up from where it was (a bounded buffer per follower; nothing is lost, since the run
 *   is kept anyway);
 * - a follower that goes leaves nothing: its cursor goes with its stream.
 */
import { sseEvent, type EventStream } from '../sse/eventStream.ts';
import { Problem } from '../problem.ts';
import { broadcastRecordTypes, type BroadcastBatch, type BroadcastFull, type BroadcastRecord } from '../../shared/broadcast.ts';

export interface BroadcastLimits {
  /** Records kept per run. @default 50000 */
  maxRecords?: number;
  /** Bytes of encoded events kept per run. @default 8 MiB */
  maxBytes?: number;
  /** A follower with more than this many bytes waiting in its socket's buffer gets nothing more until it drains. @default 256 KiB */
  slowBytes?: number;
}

interface Watcher {
  stream: EventStream;
  /** Which run its cursor is in (`Broadcast.#serial`), and the next frame of it to write. */
  serial: number;
  next: number;
  /** Waiting for its socket to drain. */
  waiting: boolean;
}

interface CurrentRun {
  id: string;
  /** Every event of the run so far, encoded: `run`, then each `batch` (and `full`, if it came to that). */
  frames: string[];
  records: number;
  bytes: number;
  /** The last batch taken (seq). */
  seq: number;
  full: boolean;
}

/** What `publish` did: a new batch taken, a repeat of one already taken (a retry), or the run is full. */
export type PublishResult = 'taken' | 'repeat';

const runIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

export class Broadcast {
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly slowBytes: number;
  #run: CurrentRun | null = null;
  #serial = 0;
  readonly #watchers = new Set<Watcher>();

  constructor(limits: BroadcastLimits = {}) {
    this.maxRecords = limits.maxRecords ?? 50_000;
    this.maxBytes = limits.maxBytes ?? 8 * 1024 * 1024;
    this.slowBytes = limits.slowBytes ?? 256 * 1024;
  }

  /** Followers watching now. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** Followers waiting for their socket to drain (slow readers). */
  get waiting(): number {
    let n = 0;
    for (const w of this.#watchers) if (w.waiting) n++;
    return n;
  }

  /** The current run's id, records and bytes (for tests and the README's numbers). */
  get current(): { id: string; records: number; bytes: number; full: boolean } | null {
    const run = this.#run;
    return run && { id: run.id, records: run.records, bytes: run.bytes, full: run.full };
  }

  /**
   * Takes a batch from the presenter (already checked by `readBatch`). A new run id starts a new
   * run (its first batch is seq 0) and replaces the old; within a run, batches come in seq order
   * and a repeat of one already taken is ignored. Throws a Problem when it cannot be taken.
   */
  publish(batch: BroadcastBatch): PublishResult {
    let run = this.#run;
    if (!run || run.id !== batch.run) {
      if (batch.seq !== 0) throw new Problem(409, `Run "${batch.run}" is not being broadcast: its first batch must have seq 0, not ${batch.seq}.`, 'seq');
      run = { id: batch.run, frames: [], records: 0, bytes: 0, seq: -1, full: false };
      this.#run = run;
      this.#serial++;
      this.#append(run, sseEvent({ event: 'run', data: { run: run.id } }));
    }
    if (batch.seq <= run.seq) return 'repeat';
    if (run.full) throw this.#fullProblem(run);
    if (batch.seq !== run.seq + 1) throw new Problem(409, `Batch ${batch.seq} of run "${run.id}" came before batch ${run.seq + 1}; send them in order.`, 'seq');
    const frame = sseEvent({ event: 'batch', data: batch });
    if (run.records + batch.records.length > this.maxRecords || run.bytes + frame.length > this.maxBytes) {
      run.full = true;
      const full: BroadcastFull = { run: run.id, maxRecords: this.maxRecords, maxBytes: this.maxBytes };
      this.#append(run, sseEvent({ event: 'full', data: full }));
      this.#fanOut();
      throw this.#fullProblem(run);
    }
    run.seq = batch.seq;
    run.records += batch.records.length;
    this.#append(run, frame);
    this.#fanOut();
    return 'taken';
  }

  /** Starts sending the broadcast to a follower's stream: the run so far, then each batch. Returns the way to stop (call it when the stream closes). */
  watch(stream: EventStream): () => void {
    const watcher: Watcher = { stream, serial: this.#serial, next: 0, waiting: false };
    this.#watchers.add(watcher);
    this.#pump(watcher);
    return () => {
      this.#watchers.delete(watcher);
      watcher.waiting = true;
    };
  }

  #append(run: CurrentRun, frame: string): void {
    run.frames.push(frame);
    run.bytes += frame.length;
  }

  #fullProblem(run: CurrentRun): Problem {
    return new Problem(
      413,
      `Run "${run.id}" is too large to broadcast: a run is capped at ${this.maxRecords} records and ${this.maxBytes} bytes. Followers keep what came; they can run it themselves.`,
    );
  }

  #fanOut(): void {
    for (const watcher of this.#watchers) this.#pump(watcher);
  }

  /** Writes what the follower has not had yet, in one write, unless it is waiting for its socket to drain. */
  #pump(watcher: Watcher): void {
    if (watcher.waiting || watcher.stream.closed) return;
    const run = this.#run;
    if (!run) return;
    if (watcher.serial !== this.#serial) {
      watcher.serial = this.#serial;
      watcher.next = 0;
    }
    if (watcher.next >= run.frames.length) return;
    const text = watcher.next === run.frames.length - 1 ? run.frames[watcher.next]! : run.frames.slice(watcher.next).join('');
    watcher.next = run.frames.length;
    void watcher.stream.send(text);
    if (!watcher.stream.behind(this.slowBytes)) return;
    watcher.waiting = true;
    watcher.stream.res.once('drain', () => {
      if (!this.#watchers.has(watcher)) return;
      watcher.waiting = false;
      this.#pump(watcher);
    });
  }
}

/** Checks a presenter's POSTed batch; throws a 400 Problem naming the field that is wrong. */
export function readBatch(body: unknown): BroadcastBatch {
  const fields = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : null) as Record<string, unknown> | null;
  if (!fields) throw new Problem(400, 'The body must be a JSON object: { "run", "seq", "sentAt", "records" }.', 'body');
  const { run, seq, sentAt, records } = fields;
  if (typeof run !== 'string' || !runIdPattern.test(run))
    throw new Problem(400, 'Field "run" must be the run\'s id: 1 to 64 letters, digits, "-" or "_".', 'run');
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)
    throw new Problem(400, 'Field "seq" must be the batch number: 0 for the first, then 1, 2, …', 'seq');
  if (typeof sentAt !== 'number' || !Number.isFinite(sentAt)) throw new Problem(400, 'Field "sentAt" must be the time it was sent (ms since epoch).', 'sentAt');
  if (!Array.isArray(records)) throw new Problem(400, 'Field "records" must be an array of the run\'s records.', 'records');
  for (const [i, record] of records.entries()) {
    const type = typeof record === 'object' && record !== null ? (record as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !(broadcastRecordTypes as readonly string[]).includes(type))
      throw new Problem(400, `records[${i}] must be an object whose "type" is one of ${broadcastRecordTypes.join(', ')}.`, 'records');
  }
  for (const key of Object.keys(fields)) {
    if (!['run', 'seq', 'sentAt', 'records'].includes(key)) throw new Problem(400, `Unknown field "${key}". Known fields: run, seq, sentAt, records.`, key);
  }
  return { run, seq, sentAt, records: records as BroadcastRecord[] };
}
