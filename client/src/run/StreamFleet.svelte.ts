/**
 * Several EventSources opened at once, each one's state, time to open and tokens: what the
 * connection-limit lab and the HTTP/2 lab show, row by row.
 */
import type { Studio } from './Studio.svelte.ts';

export type FleetState = 'waiting' | 'open' | 'closed' | 'done' | 'failed';

export interface FleetStream {
  /** 1 = the first opened. */
  n: number;
  state: FleetState;
  /** ms after the streams were opened when the response head arrived (EventSource's `open`). */
  openedAt: number | null;
  tokens: number;
}

/** What each state is called in a row. */
export const fleetLabels: Record<FleetState, string> = { waiting: 'waiting', open: 'open', closed: 'closed', done: 'finished', failed: 'failed' };

export class StreamFleet {
  /** Through the `$state` proxy, so each change shows at once. */
  streams = $state<FleetStream[]>([]);
  /** ms since the streams were opened, ticking while one waits or is open, so a wait shows as it grows. */
  now = $state(0);
  /** Set while a running race is being stopped first. */
  stopping = $state(false);
  readonly active = $derived(this.streams.some((s) => s.state === 'open' || s.state === 'waiting'));
  readonly openCount = $derived(this.streams.filter((s) => s.state === 'open').length);
  readonly waitingCount = $derived(this.streams.filter((s) => s.state === 'waiting').length);
  #started = 0;
  readonly #sources = new Map<number, EventSource>();
  #tick: ReturnType<typeof setInterval> | undefined;

  /** Opens `count` EventSources at once, stream n on `url(n)`; closes the ones opened before. */
  open(count: number, url: (n: number) => string, init?: EventSourceInit): void {
    this.stopAll();
    this.#started = performance.now();
    this.now = 0;
    this.streams = Array.from({ length: count }, (_, i) => ({ n: i + 1, state: 'waiting' as const, openedAt: null, tokens: 0 }));
    for (const stream of this.streams) {
      const source = new EventSource(url(stream.n), init);
      this.#sources.set(stream.n, source);
      source.onopen = () => {
        stream.state = 'open';
        stream.openedAt = Math.round(performance.now() - this.#started);
      };
      source.addEventListener('token', () => stream.tokens++);
      // The reply is over: close, or EventSource would reconnect and take a connection again.
      source.addEventListener('done', () => this.finish(stream, 'done'));
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) this.finish(stream, 'failed');
      };
    }
    this.#tick = setInterval(() => {
      this.now = performance.now() - this.#started;
      if (!this.active) clearInterval(this.#tick);
    }, 250);
  }

  /** Closes one stream; a stream still open or waiting becomes `state`. */
  finish(stream: FleetStream, state: FleetState): void {
    this.#sources.get(stream.n)?.close();
    this.#sources.delete(stream.n);
    if (stream.state === 'open' || stream.state === 'waiting') stream.state = state;
  }

  stopAll(): void {
    for (const stream of this.streams) this.finish(stream, 'closed');
    clearInterval(this.#tick);
  }

  /**
   * A race's streams (and its tap) hold connections of the same six: stops it first, or fewer than
   * six would open. Waits for it to let go, at most a few seconds.
   */
  async stopRace(studio: Studio): Promise<void> {
    if (!studio.running) return;
    this.stopping = true;
    studio.stop();
    for (let waited = 0; studio.running && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    this.stopping = false;
  }
}

/** `ms` for a row: `850 ms`, `3.2 s`. */
export const fleetSeconds = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
