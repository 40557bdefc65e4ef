/** The page's routes: the studio (`/`), the lesson index, a lesson's step, the audience view. */
export type Route =
  | { page: 'studio' }
  | { page: 'index' }
  /** `step` is 0-based; the URL counts from 1. */
  | { page: 'lesson'; slug: string; step: number }
  | { page: 'follow' };

/**
 * A lesson's folder name, `NN-slug`: people type what they see in `lessons/` (`/lessons/02-chunks`),
 * and it means the lesson `slug`. Slugs are folder names after `NN-`, so none starts that way.
 */
const folderName = /^\d\d-(.+)$/;

export function routeOf(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean);
  if (parts[0] === 'follow' && parts.length === 1) return { page: 'follow' };
  if (parts[0] !== 'lessons') return { page: 'studio' };
  if (parts.length === 1) return { page: 'index' };
  const n = Number(parts[2] ?? 1);
  const slug = folderName.exec(parts[1]!)?.[1] ?? parts[1]!;
  return { page: 'lesson', slug, step: Number.isInteger(n) && n >= 1 ? n - 1 : 0 };
}

/**
 * The way the page writes `pathname`'s address, if `pathname` is another way to the same page
 * (a lesson by its folder name, or without its step number), so the address bar can be replaced
 * rather than a history entry added; null if it is already written that way.
 */
export function canonicalPath(pathname: string): string | null {
  const route = routeOf(pathname);
  if (route.page !== 'lesson') return null;
  const path = lessonPath(route.slug, route.step);
  return path === pathname ? null : path;
}

export function lessonPath(slug: string, step = 0): string {
  return `/lessons/${slug}/${step + 1}`;
}
