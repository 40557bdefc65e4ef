/**
 * Broadcast follow: the presenter's page publishes its run in batches, and every follower that
 * watches gets them over one event stream. The server keeps the current run's batches, each
 * encoded once as an event (`sseEvent`) and once as bytes, so N followers cost N writes of the same
 * Buffer, not N generations; a follower that connects late gets the run so far from those, then
 * live ones. The presenter's POST is answered before the fan-out: frames are written to the
 * watchers once the turn that took them is over, all of a turn's frames in one write per watcher.
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
import {
  broadcastMaxBytes,
  broadcastMaxRecords,
  broadcastRecordTypes,
  type BroadcastBatch,
  type BroadcastEventName,
  type BroadcastFull,
  type BroadcastRecord,
} from '../../shared/broadcast.ts';

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

/** Where a run stands, as the one that decides on batches keeps it (this process, or Redis for a hall). */
export interface RunState {
  id: string;
  /** The last batch taken (seq), -1 before the first. */
  seq: number;
  records: number;
  /** Bytes of the run's encoded events so far. */
  bytes: number;
  full: boolean;
}

/**
 * One event of a run, as every process of a class holds it: the run's id, its place in the run
 * (0 is the `run` event), its name and its data (JSON). Its SSE id is `<run>:<index>`, so a
 * watcher that reconnects (`Last-Event-ID`), to this process or another, resumes after it.
 */
export interface BroadcastFrame {
  run: string;
  index: number;
  event: BroadcastEventName;
  data: string;
}

interface CurrentRun extends RunState {
  /**
   * Every event of the run so far, encoded as UTF-8 once: `run`, then each `batch` (and `full`, if
   * it came to that). Every follower is written the same Buffer: a string would be converted again
   * for each (Node encodes a string per write), which the hall's profile showed.
   */
  frames: Buffer[];
}

/** What `publish` did: a new batch taken, or a repeat of one already taken (a retry). */
export type PublishResult = 'taken' | 'repeat';

/** What a batch does to a run: refused (why), a repeat, or taken (the events it adds, in order). */
export type Decision =
  { result: 'repeat' } | { result: 'taken'; frames: BroadcastFrame[]; state: RunState } | { problem: Problem; frames: BroadcastFrame[]; state: RunState };

const runIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** The SSE text of a frame: `id: <run>:<index>`, its name, its data (JSON: one line). */
export function encodeFrame(frame: BroadcastFrame): string {
  return sseEvent({ id: `${frame.run}:${frame.index}`, event: frame.event, data: frame.data });
}

/** A frame back from its SSE text (`encodeFrame`'s). */
export function decodeFrame(text: string): BroadcastFrame {
  const [, run = '', index = '0', event = 'batch', data = ''] = /^id: ([^:\n]+):(\d+)\nevent: (\w+)\ndata: (.*)\n\n$/s.exec(text) ?? [];
  return { run, index: Number(index), event: event as BroadcastEventName, data };
}

/**
 * What a presenter's batch does to the run `state` (null: none yet), under the caps: the rules of
 * a broadcast in one place (a hall's Redis script follows the same ones). A new run id starts a new
 * run (its first batch is seq 0) and replaces the old; within a run, batches come in seq order and
 * a repeat of one already taken is ignored; the batch that would pass a cap is refused with a 413,
 * and the run gets one `full` event. A batch out of place is a 409 whose `expected` names the seq
 * to send (`BroadcastSeqProblem`): 0 for a run not held at all.
 */
export function decide(state: RunState | null, batch: BroadcastBatch, limits: { maxRecords: number; maxBytes: number }): Decision {
  const frames: BroadcastFrame[] = [];
  let run = state ? { ...state } : null;
  let next = 0;
  if (!run || run.id !== batch.run) {
    if (batch.seq !== 0)
      return {
        problem: new Problem(409, `Run "${batch.run}" is not being broadcast: its first batch must have seq 0, not ${batch.seq}.`, 'seq', { expected: 0 }),
        frames,
        state: state!,
      };
    const first: BroadcastFrame = { run: batch.run, index: 0, event: 'run', data: JSON.stringify({ run: batch.run }) };
    run = { id: batch.run, seq: -1, records: 0, bytes: encodeFrame(first).length, full: false };
    frames.push(first);
    next = 1;
  } else next = frameCount(run);
  if (batch.seq <= run.seq) return { result: 'repeat' };
  if (run.full) return { problem: fullProblem(run.id, limits), frames, state: run };
  if (batch.seq !== run.seq + 1)
    return {
      problem: new Problem(409, `Batch ${batch.seq} of run "${run.id}" came before batch ${run.seq + 1}; send them in order.`, 'seq', {
        expected: run.seq + 1,
      }),
      frames,
      state: run,
    };
  const frame: BroadcastFrame = { run: run.id, index: next, event: 'batch', data: JSON.stringify(batch) };
  const bytes = encodeFrame(frame).length;
  if (run.records + batch.records.length > limits.maxRecords || run.bytes + bytes > limits.maxBytes) {
    const full: BroadcastFull = { run: run.id, maxRecords: limits.maxRecords, maxBytes: limits.maxBytes };
    const fullFrame: BroadcastFrame = { run: run.id, index: next, event: 'full', data: JSON.stringify(full) };
    frames.push(fullFrame);
    return { problem: fullProblem(run.id, limits), frames, state: { ...run, full: true, bytes: run.bytes + encodeFrame(fullFrame).length } };
  }
  frames.push(frame);
  return { result: 'taken', frames, state: { ...run, seq: batch.seq, records: run.records + batch.records.length, bytes: run.bytes + bytes } };
}

/** Frames a run holds: its `run` event and one per batch taken. */
function frameCount(run: RunState): number {
  return run.seq + 2;
}

function fullProblem(id: string, limits: { maxRecords: number; maxBytes: number }): Problem {
  return new Problem(
    413,
    `Run "${id}" is too large to broadcast: a run is capped at ${limits.maxRecords} records and ${limits.maxBytes} bytes. Followers keep what came; they can run it themselves.`,
  );
}

export class Broadcast {
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly slowBytes: number;
  #run: CurrentRun | null = null;
  #serial = 0;
  #fanOutPending = false;
  readonly #watchers = new Set<Watcher>();

  constructor(limits: BroadcastLimits = {}) {
    this.maxRecords = limits.maxRecords ?? broadcastMaxRecords;
    this.maxBytes = limits.maxBytes ?? broadcastMaxBytes;
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

  /** The current run as the one deciding on batches sees it. */
  get state(): RunState | null {
    const run = this.#run;
    return run && { id: run.id, seq: run.seq, records: run.records, bytes: run.bytes, full: run.full };
  }

  /** The current run's frames (a hall's process puts them back into a Redis that lost them; read back from their text, which is all that is kept). */
  get frames(): BroadcastFrame[] {
    return (this.#run?.frames ?? []).map((bytes) => decodeFrame(bytes.toString()));
  }

  /**
   * Takes a batch from the presenter (already checked by `readBatch`) in this process alone
   * (`decide`). Throws a Problem when it cannot be taken.
   */
  publish(batch: BroadcastBatch): PublishResult {
    const decision = decide(this.state, batch, this);
    if ('result' in decision && decision.result === 'repeat') return 'repeat';
    for (const frame of decision.frames) this.add(frame);
    if ('problem' in decision) throw decision.problem;
    return 'taken';
  }

  /**
   * Adds one event of a run, from whoever decided on it (this process, or the class's Redis
   * stream): index 0 of another run starts it; the next index of the current run extends it; one
   * already held is ignored (a process reading the stream again after Redis came back). False when
   * it does not follow on (a gap: the caller reads the run again from its start).
   */
  add(frame: BroadcastFrame): boolean {
    let run = this.#run;
    if (!run || run.id !== frame.run) {
      if (frame.index !== 0) return false;
      run = { id: frame.run, frames: [], records: 0, bytes: 0, seq: -1, full: false };
      this.#run = run;
      this.#serial++;
    }
    if (frame.index < run.frames.length) return true;
    if (frame.index > run.frames.length) return false;
    const text = encodeFrame(frame);
    run.frames.push(Buffer.from(text));
    // Counted as `decide` counts it (the text's length), so the caps mean the same in every process.
    run.bytes += text.length;
    if (frame.event === 'batch') {
      const batch = JSON.parse(frame.data) as BroadcastBatch;
      run.seq = batch.seq;
      run.records += batch.records.length;
    } else if (frame.event === 'full') run.full = true;
    this.#fanOutSoon();
    return true;
  }

  /**
   * Starts sending the broadcast to a follower's stream: the run so far (after `lastEventId`, the
   * last event it had of the current run, when it reconnects), then each batch. Returns the way to
   * stop (call it when the stream closes).
   */
  watch(stream: EventStream, lastEventId?: string): () => void {
    const watcher: Watcher = { stream, serial: this.#serial, next: this.#resumeAt(lastEventId), waiting: false };
    this.#watchers.add(watcher);
    this.#pump(watcher);
    return () => {
      this.#watchers.delete(watcher);
      watcher.waiting = true;
    };
  }

  /**
   * The frame after `<run>:<index>` if that names the current run; else the run's start. An index
   * this process has not reached yet (a watcher that had more from another process of a hall,
   * whose copy is ahead) waits for the frames after it.
   */
  #resumeAt(lastEventId: string | undefined): number {
    const run = this.#run;
    const match = lastEventId ? /^([A-Za-z0-9_-]{1,64}):(\d{1,9})$/.exec(lastEventId) : null;
    if (!run || !match || match[1] !== run.id) return 0;
    return Number(match[2]) + 1;
  }

  /**
   * Fans out once this turn is over, not now: the presenter's POST is answered first (its 204 does
   * not wait for a write per watcher), and the frames added in the same turn (a run's `run` and
   * first batch, or batches that came together) go to each watcher in one write.
   */
  #fanOutSoon(): void {
    if (this.#fanOutPending) return;
    this.#fanOutPending = true;
    setImmediate(() => {
      this.#fanOutPending = false;
      this.#fanOut();
    });
  }

  #fanOut(): void {
    // Watchers at the same place get the same Buffer: what several frames join into is made once.
    const joined = new Map<number, Buffer>();
    for (const watcher of this.#watchers) this.#pump(watcher, joined);
  }

  /** Writes what the follower has not had yet, in one write, unless it is waiting for its socket to drain. */
  #pump(watcher: Watcher, joined?: Map<number, Buffer>): void {
    if (watcher.waiting || watcher.stream.closed) return;
    const run = this.#run;
    if (!run) return;
    if (watcher.serial !== this.#serial) {
      watcher.serial = this.#serial;
      watcher.next = 0;
    }
    if (watcher.next >= run.frames.length) return;
    let bytes = watcher.next === run.frames.length - 1 ? run.frames[watcher.next]! : joined?.get(watcher.next);
    if (!bytes) {
      bytes = Buffer.concat(run.frames.slice(watcher.next));
      joined?.set(watcher.next, bytes);
    }
    watcher.next = run.frames.length;
    void watcher.stream.send(bytes);
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
