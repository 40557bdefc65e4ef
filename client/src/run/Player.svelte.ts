import type { Run } from './Run.svelte.ts';

export const speeds = [0.1, 0.25, 0.5, 1, 2, 4] as const;

/** ms after the last seek that a drag on the timeline counts as over. */
const scrubQuiet = 250;

/**
 * The cursor every view draws at: ms after Start. Live, it follows the clock; in a replay it
 * plays at `speed`, steps from one recorded event to the next, or jumps where it is scrubbed.
 */
export class Player {
  run = $state.raw<Run | null>(null);
  cursor = $state(0);
  playing = $state(false);
  speed = $state(1);
  /** Live and following the clock (not paused or scrubbed back). */
  following = $state(false);
  /**
   * Someone is moving the cursor by hand: true from a `seek` until `scrubQuiet` ms pass without
   * another. Like playing, it lets the byte views pace their redraws (see wireView/redrawPace).
   */
  scrubbing = $state(false);
  #frame = 0;
  #last = 0;
  #scrubTimer: ReturnType<typeof setTimeout> | undefined;

  load(run: Run): void {
    this.run = run;
    this.cursor = run.state === 'live' ? 0 : run.duration;
    this.following = run.state === 'live';
    this.playing = run.state === 'live';
    this.#loop();
  }

  get duration(): number {
    return this.run?.duration ?? 0;
  }

  play(): void {
    if (!this.run) return;
    if (this.run.state !== 'live' && this.cursor >= this.duration) this.cursor = 0;
    this.playing = true;
    this.#loop();
  }

  pause(): void {
    this.playing = false;
    this.following = false;
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  seek(ms: number): void {
    this.cursor = Math.max(0, Math.min(ms, this.duration));
    this.following = false;
    this.scrubbing = true;
    clearTimeout(this.#scrubTimer);
    this.#scrubTimer = setTimeout(() => (this.scrubbing = false), scrubQuiet);
  }

  /** Moves to the next (or previous) instant at which something was recorded. */
  step(direction: 1 | -1): void {
    this.pause();
    const times = this.#instants();
    const epsilon = 1e-6;
    if (direction > 0) {
      const next = times.find((t) => t > this.cursor + epsilon);
      if (next !== undefined) this.cursor = next;
    } else {
      let previous = 0;
      for (const t of times) {
        if (t >= this.cursor - epsilon) break;
        previous = t;
      }
      this.cursor = previous;
    }
  }

  #instants(): number[] {
    const run = this.run;
    if (!run) return [];
    const times: number[] = [];
    for (const lane of run.lanes) {
      for (const e of lane.wire) times.push(run.wireTime(e.t));
      for (const e of lane.app) if (e.kind === 'token' || e.kind === 'done') times.push(run.pageTime(e.t));
    }
    return times.sort((a, b) => a - b);
  }

  #loop(): void {
    cancelAnimationFrame(this.#frame);
    this.#last = performance.now();
    const tick = (now: number): void => {
      const run = this.run;
      // Events recorded since the last frame and the cursor's move: one re-render, not two. This
      // loop is the only place that tells the views about new events, so it keeps running (only
      // announcing) while a live run is paused: its events still arrive.
      run?.announce();
      if (!run) return;
      if (!this.playing) {
        if (run.state === 'live') this.#frame = requestAnimationFrame(tick);
        return;
      }
      const elapsed = now - this.#last;
      this.#last = now;
      if (run.state === 'live' && this.following) {
        this.cursor = run.liveTime();
      } else {
        this.cursor = Math.min(this.cursor + elapsed * this.speed, run.state === 'live' ? run.liveTime() : this.duration);
        if (run.state === 'live' && this.speed >= 1 && this.cursor >= run.liveTime() - 1) this.following = true;
      }
      if (run.state !== 'live' && this.cursor >= this.duration) {
        this.cursor = this.duration;
        this.playing = false;
        this.following = false;
        return;
      }
      this.#frame = requestAnimationFrame(tick);
    };
    this.#frame = requestAnimationFrame(tick);
  }

  dispose(): void {
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#scrubTimer);
  }
}
