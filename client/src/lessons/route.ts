/** The page's routes: the studio (`/`), the lesson index, a lesson's step, the audience view. */
export type Route =
  | { page: 'studio' }
  | { page: 'index' }
  /** `step` is 0-based; the URL counts from 1. */
  | { page: 'lesson'; slug: string; step: number }
  | { page: 'follow' };

export function routeOf(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean);
  if (parts[0] === 'follow' && parts.length === 1) return { page: 'follow' };
  if (parts[0] !== 'lessons') return { page: 'studio' };
  if (parts.length === 1) return { page: 'index' };
  const n = Number(parts[2] ?? 1);
  return { page: 'lesson', slug: parts[1]!, step: Number.isInteger(n) && n >= 1 ? n - 1 : 0 };
}

export function lessonPath(slug: string, step = 0): string {
  return `/lessons/${slug}/${step + 1}`;
}
