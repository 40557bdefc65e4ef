import type { Settings } from '../run/settings.ts';

/** What the page's own code saw, with the tab's clock (ms since epoch, sub-ms precision). */
export interface AppEvent {
  t: number;
  /**
   * `request`: the code asked for the stream; `open`: the response (or handshake) arrived;
   * `token`: a token reached the code; `done`: the reply ended; `error`: it failed for good;
   * `reconnecting`: the connection dropped and the client is reconnecting by itself (EventSource);
   * `sent`: the code sent a message upstream.
   */
  kind: 'request' | 'open' | 'token' | 'done' | 'error' | 'reconnecting' | 'sent';
  index?: number;
  text?: string;
  detail?: string;
}

/**
 * One transport's client, written the way an app developer would: streams one reply, reports
 * what it sees through `emit`, and settles when the reply is over, failed, or `signal` aborted.
 */
export type LaneClient = (settings: Settings, run: string, emit: (event: Omit<AppEvent, 't'>) => void, signal: AbortSignal) => Promise<void>;

/** The tab's clock, on the same scale as the tap's timestamps. */
export const pageNow = (): number => performance.timeOrigin + performance.now();
