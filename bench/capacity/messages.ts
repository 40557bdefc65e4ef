/**
 * What the bench's processes tell each other over their IPC channels: the bench (parent), the
 * server under test (`target.ts`) and the load generator (`loadgen.ts`); and when a load must
 * be over, which both the load generator and the bench enforce.
 */
import type { Spread } from '../stats.ts';

/**
 * Which server a target process runs: `streamscope` with its reply log in memory,
 * `streamscope-redis` with it on the Redis whose URL the bench passes (argv[3]), `streamscope-https`
 * with the HTTPS port beside the plain one (its own certificate, made in a temp folder),
 * `streamscope-follow` for the hall benchmark (the presenter's token in argv[3], no cap on
 * followers) and `bare-broadcast` its baseline (the token likewise).
 */
export type TargetKind = 'streamscope' | 'streamscope-redis' | 'streamscope-https' | 'streamscope-follow' | 'bare-broadcast' | 'bare-sse' | 'bare-ws';

/** How the load generator reads the wire tap while it streams. */
export type TapMode = 'none' | 'reader' | 'slow';

/** `h2sse`: SSE over HTTP/2 inside TLS, on the HTTPS port: many streams on few connections. */
export type Transport = 'sse' | 'ws' | 'http' | 'h2sse';

/** Parent → target. */
export interface SampleRequest {
  type: 'sample';
  /** Collect garbage first (the target runs with --expose-gc), for a steadier idle baseline. */
  gc: boolean;
}

/** Target → parent. */
/** `tlsPort`: the HTTPS port, of a `streamscope-https` target. */
export type FromTarget = { type: 'ready'; port: number; tlsPort?: number } | ({ type: 'sample' } & ServerSample);

export interface ServerSample {
  /** process.cpuUsage() user + system, µs. */
  cpuMicros: number;
  /** performance.now() in the target when sampled, ms. */
  wallMs: number;
  rss: number;
  heapUsed: number;
  /** What the target's reply log has asked of Redis since it connected (only a target whose log is on Redis). */
  redis?: RedisCounts;
}

/** The cumulative counters of `RedisReplyLog.stats` (see redisReplyLog.ts). */
export interface RedisCounts {
  roundTrips: number;
  commands: number;
  pipelines: number;
  appended: number;
  tailReads: number;
  connectionsOpened: number;
}

/** The load of one step, as the load generator runs it. */
export interface LoadPlan {
  port: number;
  /** The HTTPS port, for the `h2sse` transport (the tap is read on the plain `port`). */
  tlsPort?: number;
  transport: Transport;
  /** Concurrent streams. */
  streams: number;
  /** Streams start spread evenly over this many ms. */
  rampMs: number;
  /** ms during which all streams are open and measured (each stream lasts rampMs + holdMs). */
  holdMs: number;
  /** ms a stream may run past its own last token's due time before its missing tokens count as lost. */
  graceMs: number;
  /** The reply settings as a query string (see workload.ts), `run` included so the tap files every stream under it. */
  query: string;
  /** Run id the tap reader subscribes to. */
  run: string;
  tap: TapMode;
}

/** ms after the ramp starts by which every stream has ended or been given up (ramp, twice a stream's length and grace). */
export function loadDeadlineMs(plan: Pick<LoadPlan, 'rampMs' | 'holdMs' | 'graceMs'>): number {
  return plan.rampMs + 2 * (plan.rampMs + plan.holdMs + plan.graceMs);
}

/** Parent → load generator. */
export interface StartLoad {
  type: 'start';
  plan: LoadPlan;
}

/** Load generator → parent. */
export type FromLoadgen = { type: 'window'; edge: 'start' | 'end' } | { type: 'result'; result: LoadResult } | { type: 'failed'; detail: string };

export interface LoadResult {
  streams: number;
  /** Streams that errored, got a non-200 answer or ended before their `done`. */
  failed: number;
  /** The distinct failure messages with their counts (at most a few). */
  errors: Record<string, number>;
  tokensPerStream: number;
  /** Tokens never received, over all streams. */
  lost: number;
  /** Client receipt minus scheduled time, ms, for tokens due while every stream was open. */
  lateness: Spread;
  /** ms from opening the connection to the reply's time zero (see clients.ts): setup, not lateness. */
  setup: Spread;
  /** The load generator's own CPU % and event-loop delay during the hold: a busy client shows up as lateness too. */
  client: { cpuPercent: number; loopDelayP99Ms: number };
  /** What the tap reader got: bytes, and events the server dropped for it. */
  tap: { bytes: number; dropped: number } | null;
}
