/**
 * How often the byte view follows a fast stream. Three lanes at 100 tokens/s add about 700 rows
 * of bytes a second, and each row built costs the page style, layout and paint: built as they
 * arrived, the byte views took more of each frame than the bubbles, timeline and in-flight wires
 * together; dragging across a 10,000-chunk run, every frame built three windows of new rows
 * (50 ms and more a frame). Paced, the view takes what arrived at most every `redrawEvery` ms
 * while the cursor moves, and rows that scroll past between two redraws are never built. A slow
 * stream (a row or less per `redrawEvery` ms) still shows each row the moment it arrives. Nobody
 * reads rows that pass faster than that; the bubbles, the in-flight wires and the timeline still
 * move every frame.
 */

export const redrawEvery = 100;

/** What a view last drew: how many items, and when (ms, `performance.now()`). */
export interface Drawn {
  at: number;
  count: number;
}

/**
 * What to draw when `latest` items are at the cursor. At once when the cursor stands still or
 * steps (`pace` false) or when the last redraw is `redrawEvery` ms old; otherwise the last
 * drawing stays until it is.
 */
export function paced(drawn: Drawn, latest: number, now: number, pace: boolean): Drawn {
  if (latest === drawn.count) return drawn;
  if (!pace || now - drawn.at >= redrawEvery) return { at: now, count: latest };
  return drawn;
}

/**
 * When a paced view last redrew (`performance.now()`). Paced views take turns: while the cursor
 * moves, one redraws in a frame, the others in the next frames, so three byte views that all
 * jump at once (a drag across a long run rebuilds every row in view) cost three frames a third
 * of the work each rather than one frame that takes them all.
 */
let lastRedraw = -Infinity;
/** Redraws closer than this (ms) are in the same frame. */
const sameFrame = 8;

/**
 * A count that follows `latest()` as `paced` says while `pace()` holds, and catches up
 * `redrawEvery` ms after `latest()` last changed, should nothing else ask for a redraw by then.
 */
export class PacedCount {
  readonly #latest: () => number;
  readonly #pace: () => boolean;
  #drawn: Drawn = { at: -Infinity, count: 0 };
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by the timer: a reason to look again. */
  #wake = $state(0);
  readonly count: number;

  constructor(latest: () => number, pace: () => boolean) {
    this.#latest = latest;
    this.#pace = pace;
    this.count = $derived.by(() => {
      void this.#wake;
      const latest = this.#latest();
      const now = performance.now();
      const pace = this.#pace();
      const next = paced(this.#drawn, latest, now, pace);
      if (next !== this.#drawn) {
        if (pace && now - lastRedraw < sameFrame) this.#wakeIn(2 * sameFrame);
        else {
          this.#drawn = next;
          if (pace) lastRedraw = now;
        }
      }
      if (this.#drawn.count !== latest) this.#wakeIn(redrawEvery);
      return this.#drawn.count;
    });
  }

  /** Looks again in `ms`, unless a look is due already. */
  #wakeIn(ms: number): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#wake++;
    }, ms);
  }
}
