/** What the hall bench (parent) and its load process (`hallLoad.ts`) tell each other. */
import type { Spread } from '../stats.ts';
import type { Loss } from './delivery.ts';

/** Parent → load: open `followers` watchers of the broadcast, spread over `rampMs`. */
export interface FollowRequest {
  type: 'follow';
  port: number;
  followers: number;
  rampMs: number;
  /**
   * The processes' own ports, where the load counts the watchers each holds (`/api/follow/me`):
   * behind a load balancer, `port` answers for one process at a time. @default [port]
   */
  countPorts?: number[];
}

/**
 * Parent → load: publish a run as the presenter's page does, every 200 ms, then wait up to
 * `graceMs` for every follower to get the last batch. `marks`: ms after the run's start at which
 * the load tells the parent (`mark`), so it can sample the server then.
 */
export interface PresentRequest {
  type: 'present';
  token: string;
  tps: number;
  durationMs: number;
  graceMs: number;
  marks: number[];
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

export type ToLoad = FollowRequest | PresentRequest | RunYourselfRequest;

export type FromLoad =
  | { type: 'following'; opened: number; failed: number; errors: Record<string, number>; perProcess: number[] }
  | { type: 'mark'; index: number }
  | { type: 'presented'; result: PresentResult }
  | { type: 'ran'; result: RunYourselfResult }
  | { type: 'failed'; detail: string };

export interface PresentResult {
  followers: number;
  /** Followers whose stream failed or ended before the run did. */
  failed: number;
  errors: Record<string, number>;
  /** Batches the server took (204). */
  published: number;
  /** POSTs the server refused, by status (0: the request failed to go). */
  refused: Record<string, number>;
  /** Records and JSON bytes published. */
  records: number;
  bytes: number;
  /** Arrival at a follower minus the batch's `sentAt` (both the load process's clock), ms, for every batch every follower got. */
  lateness: Spread;
  /** ms each POST took, as the presenter saw it. */
  post: Spread;
  loss: Loss;
  /** `full` events the followers got (the run hit the server's cap). */
  full: number;
  /** The load process's CPU % over the run: a saturated load process shows up as lateness too. */
  clientCpuPercent: number;
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
