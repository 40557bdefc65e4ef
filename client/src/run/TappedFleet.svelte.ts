/**
 * A `StreamFleet` whose streams carry a run id, with the wire tap of that run: which connection
 * (and, over HTTP/2, which stream) carried each EventSource, and the connections' bytes in a
 * lane for a byte view. One per column of the HTTP/2 lab.
 */
import type { TapOpen, TapRequest } from '../../../shared/tap.ts';
import { pageNow } from '../transports/types.ts';
import { Run, type LaneRecord } from './Run.svelte.ts';
import { defaultSettings } from './settings.ts';
import { StreamFleet } from './StreamFleet.svelte.ts';
import { tapRun, type TapOptions } from './tapClient.ts';

/** A long reply, slowly: every stream stays open for minutes unless closed. */
export const labStreamQuery = 'prompt=on-the-wire&tps=2&ttft=0&jitter=0';

/** What the tap said of one EventSource's request. */
export interface Carried {
  /** The tap's number for the connection. */
  conn: number;
  /** The browser's port of that connection: one per TCP connection. */
  port: number;
  /** HTTP/2: the stream id. */
  stream?: number;
}

/** A connection the tap saw, with the streams (fleet numbers) it carried. */
export interface CarriedBy {
  conn: number;
  port: number;
  protocol: 'h2' | 'http/1.1' | undefined;
  streams: number[];
}

/** ms the tap stays open after Stop, for the closing bytes. */
const tail = 400;

export class TappedFleet {
  readonly fleet = new StreamFleet();
  /** The run whose tap this is (its one lane, `sse`, holds the bytes); null before the first open. */
  run = $state.raw<Run | null>(null);
  /** Fleet number → what the tap said of its request. */
  carried = $state<Record<number, Carried>>({});
  /** Set when the tap could not be opened. */
  error = $state<string | null>(null);
  /** Whether the tap of the last open reported (or reports) on its streams. */
  tapped = $state(false);
  #protocols = new Map<number, TapOpen['protocol']>();
  #stopTap: (() => void) | undefined;
  #frame: number | undefined;
  #generation = 0;

  /** The lane holding the tapped bytes. */
  get lane(): LaneRecord | undefined {
    return this.run?.lanes[0];
  }

  /** The connections the tap saw, by the first stream each carried. */
  get connections(): CarriedBy[] {
    const by = new Map<number, CarriedBy>();
    for (const [n, c] of Object.entries(this.carried)) {
      let entry = by.get(c.conn);
      if (!entry) by.set(c.conn, (entry = { conn: c.conn, port: c.port, protocol: this.#protocols.get(c.conn), streams: [] }));
      entry.streams.push(Number(n));
    }
    return [...by.values()].sort((a, b) => (a.streams[0] ?? 0) - (b.streams[0] ?? 0));
  }

  /** Streams whose request the tap has not seen: over HTTP/1.1, held in the browser for a connection. */
  get unsent(): number[] {
    if (!this.tapped) return [];
    return this.fleet.streams.filter((s) => !this.carried[s.n]).map((s) => s.n);
  }

  /**
   * Opens `count` EventSources on `origin` (this page's when empty), the tap of their run first
   * (`tap`; without it, the streams only). Resolves once they are opening.
   */
  async open(count: number, origin: string, tap: TapOptions | null): Promise<void> {
    this.stop();
    const generation = ++this.#generation;
    const id = `h2lab${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    // Streams on the HTTPS origin from a page on the plain one are the tap client's `sse-h2` lane.
    const secure = origin.startsWith('https:') && location.protocol !== 'https:';
    const run = new Run(id, { ...defaultSettings }, [secure ? 'sse-h2' : 'sse'], pageNow());
    this.carried = {};
    this.#protocols.clear();
    this.error = null;
    this.tapped = false;
    this.run = tap ? run : null;
    if (tap) {
      try {
        const stopTap = await tapRun(run, { ...tap, onRequest: (request, open) => this.#onRequest(request, open) });
        if (generation !== this.#generation) return stopTap();
        this.#stopTap = stopTap;
        this.tapped = true;
      } catch (error) {
        this.error = (error as Error).message;
        this.run = null;
      }
    }
    run.startedAt = pageNow();
    this.fleet.open(count, (n) => `${origin}/api/stream/sse?${labStreamQuery}&seed=${n}&run=${id}`);
    if (this.#stopTap) this.#announce(run);
  }

  /** Closes every stream; the tap follows a moment later, with the connections' last bytes. */
  stop(): void {
    this.fleet.stopAll();
    const stopTap = this.#stopTap;
    this.#stopTap = undefined;
    if (stopTap) setTimeout(stopTap, tail);
  }

  #onRequest(request: TapRequest, open: TapOpen | undefined): void {
    const n = Number(new URL(request.path, 'http://streamscope.invalid').searchParams.get('seed'));
    if (!Number.isInteger(n) || n < 1) return;
    if (open?.protocol) this.#protocols.set(request.conn, open.protocol);
    this.carried[n] = { conn: request.conn, port: open?.remotePort ?? 0, ...(request.stream !== undefined ? { stream: request.stream } : {}) };
  }

  /** The lane's views learn what arrived once per frame (the player does this for a race). */
  #announce(run: Run): void {
    if (this.#frame !== undefined) cancelAnimationFrame(this.#frame);
    const frame = (): void => {
      run.announce();
      this.#frame = this.run === run && (this.#stopTap || this.fleet.active) ? requestAnimationFrame(frame) : undefined;
      // One last announcement once the tap is closed.
      if (this.#frame === undefined) setTimeout(() => run.announce(), tail + 100);
    };
    this.#frame = requestAnimationFrame(frame);
  }
}

/** One HTTP/2 frame, as a chip in the lab's strip of recent frames. */
export interface FrameChip {
  /** The frame header's first segment index in the lane: a key. */
  at: number;
  dir: 'up' | 'down';
  /** `DATA`, `HEADERS`, `WINDOW_UPDATE`… */
  type: string;
  stream: number;
}

/** The HTTP/2 frames the dissector has read in `lane` (by frame header): how many of each stream, and the last `recent`, oldest first. */
export function h2Frames(lane: LaneRecord | undefined, recent = 16): { byStream: Map<number, number>; last: FrameChip[] } {
  const byStream = new Map<number, number>();
  const last: FrameChip[] = [];
  const segments = lane?.segments ?? [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.kind !== 'h2-type' || s.stream === undefined) continue;
    byStream.set(s.stream, (byStream.get(s.stream) ?? 0) + 1);
    last.push({ at: i, dir: s.dir, type: s.label.replace(/^type /, ''), stream: s.stream });
    if (last.length > recent) last.shift();
  }
  return { byStream, last };
}
