/** Which segment a lesson step keeps in view in the bytes (the step's `pin`: `client/src/lessons/lesson.ts`). */
import type { PinMode } from '../../lessons/lesson.ts';

/**
 * Finds the segment a lesson step pins, among the first `count` (those the cursor has reached):
 * the newest of the step's kinds, or the first. The first, once found, cannot change as later
 * bytes arrive, so it is kept (for as long as the step's kinds are the same `Set` and the lane's
 * segments the same array: a new run has a new one) rather than searched for on every frame.
 */
export class PinTarget {
  #first: { emphasis: ReadonlySet<string>; segments: readonly unknown[]; index: number } | null = null;

  find(segments: readonly { kind: string }[], count: number, emphasis: ReadonlySet<string>, pin: PinMode): number | undefined {
    if (pin === 'newest') {
      for (let i = count - 1; i >= 0; i--) if (emphasis.has(segments[i]!.kind)) return i;
      return undefined;
    }
    if (this.#first?.emphasis !== emphasis || this.#first.segments !== segments) {
      this.#first = null;
      const i = segments.findIndex((s) => emphasis.has(s.kind));
      if (i >= 0) this.#first = { emphasis, segments, index: i };
    }
    return this.#first && this.#first.index < count ? this.#first.index : undefined;
  }
}
