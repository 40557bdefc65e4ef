/** The address bar mirrors the page: a teacher can bookmark a demo, or a lesson's step. */
import type { Guide } from '../lessons/Guide.svelte.ts';
import type { Studio } from '../run/Studio.svelte.ts';
import { canonicalPath, lessonPath, type Route } from '../lessons/route.ts';

/**
 * The address of what the page shows: the studio with its settings, or a lesson's step (and
 * presenter mode); null where the address stays as it is (the lesson index, the audience view,
 * a lesson still loading, and the CORS lab's second origin, whose page is not the studio).
 * Reads `studio` and `guide` only for the route that needs them, so an effect around it
 * reruns only when they matter.
 */
export function addressOf(route: Route, secondOrigin: boolean, studio: Pick<Studio, 'url'>, guide: Pick<Guide, 'lesson' | 'step' | 'present'>): string | null {
  if (route.page === 'studio' && !secondOrigin) return studio.url();
  if (route.page === 'lesson' && guide.lesson) return `${lessonPath(guide.lesson.slug, guide.step)}${guide.present ? '?present=1' : ''}`;
  return null;
}

/**
 * How the history takes `url`, given the address now: not at all when it is the same; replaced
 * when it is the same page (other settings, or the address written the page's way); a new entry
 * when it is another page, so Back returns to the last one.
 */
export function historyUpdate(url: string | null, pathname: string, search: string): 'replace' | 'push' | null {
  if (url === null || url === `${pathname}${search}`) return null;
  const samePage = url.split('?')[0] === (canonicalPath(pathname) ?? pathname);
  return samePage ? 'replace' : 'push';
}

/** Puts `url` in the address bar (see `historyUpdate`). */
export function mirrorAddress(url: string | null): void {
  const how = historyUpdate(url, location.pathname, location.search);
  if (how === 'replace') history.replaceState(null, '', url);
  else if (how === 'push') history.pushState(null, '', url);
}
