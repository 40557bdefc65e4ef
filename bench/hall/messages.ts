/** What the hall bench (parent) and its load process (`hallLoad.ts`) tell each other. */
import type { Spread } from '../stats.ts';
import type { FollowersPart, MergedDelivery, PresenterPart } from './loadSplit.ts';

/**
 * Parent → each load process: open `followers` watchers of the broadcast (this process's share),
 * spread over `rampMs`. It answers `following` once it has opened them all, and again whenever
 * one fails; the parent counts the watchers the server holds (`/api/follow/me`).
 */
export interface FollowRequest {
  type: 'follow';
  port: number;
  followers: number;
  rampMs: number;
}

/**
 * Parent → every load process: the run starts. The presenter's process (`presenter`) publishes it
 * as the presenter's page does, every 200 ms, and answers `presented`; `marks`: ms after the
 * run's start at which it tells the parent (`mark`), so it can sample the server then. The
 * others start their CPU clock.
 */
export interface PresentRequest {
  type: 'present';
  presenter: boolean;
  port: number;
  token: string;
  tps: number;
  durationMs: number;
  marks: number[];
}

/** Parent → every load process: the run published `published` batches; wait up to `graceMs` for every follower to get the last, then answer `collected`. */
export interface CollectRequest {
  type: 'collect';
  published: number;
  graceMs: number;
}

/** Parent → load: answer `clock` with this process's clock, ms since epoch. */
export interface ClockRequest {
  type: 'clock';
}

/** Parent → load: each follower runs the step itself (4 streams and a tap subscription), at `tps` for `durationMs`. */
export interface RunYourselfRequest {
  type: 'run-yourself';
  port: number;
  followers: number;
  rampMs: number;
  tps: number;
  durationMs: number;
  graceMs: number;
  /** ms after the first follower starts at which the load tells the parent (`mark`). */
  marks: number[];
}

export type ToLoad = FollowRequest | PresentRequest | CollectRequest | ClockRequest | RunYourselfRequest;

export type FromLoad =
  | { type: 'following'; failed: number; errors: Record<string, number> }
  | { type: 'mark'; index: number }
  | { type: 'presented'; part: PresenterPart }
  | { type: 'collected'; part: FollowersPart }
  | { type: 'clock'; now: number }
  | { type: 'ran'; result: RunYourselfResult }
  | { type: 'failed'; detail: string };

/**
 * A rung's delivery, over every load process: what the presenter published (`published`: batches
 * the server took; `refused`: POSTs it refused, by status, 0: the request failed to go; `post`: ms
 * each POST took), and what the followers got (`lateness`: arrival at a follower minus the batch's
 * `sentAt`, each on its own process's clock, ms since epoch; `clientCpuPercent`: the busiest load
 * process, a saturated one shows up as lateness too).
 */
export interface PresentResult extends Omit<PresenterPart, 'startedAt' | 'sentAt'>, MergedDelivery {
  /** Load processes the followers were spread over (the presenter in the first). */
  loadProcesses: number;
  /** Each load process's clock minus the parent's, ms, and how far off that may be (half the best round trip). */
  clock: { offsetMs: number[]; withinMs: number[] };
}

export interface RunYourselfResult {
  followers: number;
  streams: number;
  failed: number;
  errors: Record<string, number>;
  tokensPerStream: number;
  lost: number;
  /** Token arrival minus its due time, ms, over every stream. */
  lateness: Spread;
  /** Bytes the followers' tap subscriptions read, and events the server dropped for them. */
  tapBytes: number;
  tapDropped: number;
  clientCpuPercent: number;
}
