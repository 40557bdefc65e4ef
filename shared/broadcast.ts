/**
 * Broadcast follow (README "Classroom mode"): the presenter's page publishes its run as it
 * happens (`POST /api/follow/run`), the server fans it out to every follower that watches
 * (`GET /api/follow/run`), and each follower's page rebuilds the same run from it. A recording
 * (`client/src/run/recording.ts`) is a run as one snapshot; a broadcast is the same records
 * streamed, lane by lane, in the order the presenter's page made them.
 */

/** Where the presenter's and the followers' pages find the broadcast. */
export const broadcastPath = '/api/follow/run';

/** One thing the presenter's run recorded. Times are the presenter's: its tab's clock, or the server's for the tap's records. */
export type BroadcastRecord =
  /** A run began: its id, settings, lanes and time 0 (the presenter tab's clock, ms since epoch). */
  | { type: 'start'; id: string; settings: Record<string, unknown>; lanes: string[]; startedAt: number }
  /** A connection the tap saw open for a lane (the recording's `ConnInfo`, without `closed`). */
  | { type: 'conn'; lane: string; info: Record<string, unknown> & { conn: number } }
  /** That connection closed (server clock). */
  | { type: 'close'; lane: string; conn: number; t: number }
  /** Bytes the tap saw on a connection (server clock), base64 as in a recording. */
  | { type: 'wire'; lane: string; t: number; conn: number; dir: 'up' | 'down'; data: string; parts?: number[] }
  /** What the presenter page's own code received (its `AppEvent`, tab clock). */
  | { type: 'app'; lane: string; event: Record<string, unknown> & { kind: string; t: number } }
  /** How the server's generation behind a response ended (the tap's `generation` event, server clock). */
  | { type: 'generation'; lane: string; record: Record<string, unknown> & { conn: number; t: number } }
  /** The presenter's latest estimate of its clock offset (server minus tab). */
  | { type: 'clock'; offset: number; offsetUncertainty: number | null }
  /** Tap events the presenter's page did not get because it fell behind. */
  | { type: 'dropped'; count: number }
  /** The run is over. */
  | { type: 'end' };

export const broadcastRecordTypes = ['start', 'conn', 'close', 'wire', 'app', 'generation', 'clock', 'dropped', 'end'] as const;

/**
 * What the presenter's page POSTs, every few hundred ms while its run is live: the records since
 * the last batch. `seq` counts the run's batches from 0; `sentAt` is the presenter tab's clock when
 * it sent them (a follower uses it to set its live cursor).
 */
export interface BroadcastBatch {
  run: string;
  seq: number;
  sentAt: number;
  records: BroadcastRecord[];
}

/**
 * The events of `GET /api/follow/run`. A follower that connects gets the current run from its
 * start (`run`, then every `batch` so far, in order), then each new batch as it comes.
 * - `run`: a new run begins; anything before it is of an older run (`{ run }`).
 * - `batch`: a `BroadcastBatch` as the presenter sent it.
 * - `full`: the run reached the server's cap (`BroadcastFull`); nothing more of it will come.
 */
export type BroadcastEventName = 'run' | 'batch' | 'full';

export interface BroadcastFull {
  run: string;
  /** The caps that were reached: records and bytes per run. */
  maxRecords: number;
  maxBytes: number;
}

/** What the server keeps of a run by default (`Broadcast`'s caps); the presenter's page keeps no more of it than this. */
export const broadcastMaxRecords = 50_000;
export const broadcastMaxBytes = 8 * 1024 * 1024;

/**
 * The body of a batch refused as out of place (409, `param` "seq"): `expected` is the seq the
 * server takes next for that run, 0 when it holds none of it (the class's Redis came back empty and
 * the batch reached a process that had not kept the run). The presenter's page sends the run's
 * batches again from there, the very same ones: those already taken are ignored.
 */
export interface BroadcastSeqProblem {
  status: 409;
  param: 'seq';
  expected: number;
}

/** How many followers make broadcast the default on `/follow`: above this, watching; at or below, each runs its own. */
export const watchAbove = 30;

/** Whether a follower whose class has `followers` pages (itself included) watches the presenter's run by default. */
export function watchesByDefault(followers: number): boolean {
  return followers > watchAbove;
}
