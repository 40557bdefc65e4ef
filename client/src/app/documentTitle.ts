/** The document's title names the route: a tab, a history entry and a screen reader say where this is. */
import type { Guide } from '../lessons/Guide.svelte.ts';
import type { Route } from '../lessons/route.ts';
import type { Studio } from '../run/Studio.svelte.ts';
import { labTitle } from '../run/labTitle.ts';

/**
 * `Load balancer lab · Streamscope`, `Chunks on the wire (step 2 of 5) · 2. Chunks · Streamscope`.
 * Reads `studio` and `guide` only for the route that needs them, so an effect around it reruns
 * only when they matter.
 */
export function documentTitle(route: Route, studio: Pick<Studio, 'lab'>, guide: Pick<Guide, 'lesson' | 'step'>): string {
  const where =
    route.page === 'index'
      ? ['Lessons']
      : route.page === 'studio'
        ? [studio.lab ? `${labTitle(studio.lab)} lab` : 'Studio']
        : guide.lesson
          ? [
              `${guide.lesson.steps[guide.step]?.title ?? ''} (step ${guide.step + 1} of ${guide.lesson.steps.length})`,
              `${guide.lesson.number}. ${guide.lesson.title}`,
            ]
          : [route.page === 'follow' ? 'Following the presenter' : 'Lesson'];
  return [...where, 'Streamscope'].join(' · ');
}
