/** In-app navigation: which link clicks the page handles itself, and where focus goes after a move. */
import type { Route } from '../lessons/route.ts';

/** A click, as much of it as `inAppUrl` needs. */
export type Click = Pick<MouseEvent, 'button' | 'ctrlKey' | 'metaKey' | 'shiftKey'>;

/** A link: `href` resolved (as `HTMLAnchorElement.href`), `target`, and the `href` attribute as written. */
export interface Link {
  href: string;
  target: string;
  written: string | null;
}

/**
 * Where a click on `link` goes if the page moves there itself (without a reload, which would lose
 * the run): a plain primary click on a link to one of the page's routes on `origin`. Null for a
 * click the browser handles: a new tab or window (modifier keys, another button, a target), an
 * anchor on this page, or another site or path.
 */
export function inAppUrl(click: Click, link: Link, origin: string): URL | null {
  // An <a> without href is not a link at all (its `href` property is '').
  if (click.button !== 0 || click.ctrlKey || click.metaKey || click.shiftKey || link.target || link.written === null || link.written.startsWith('#'))
    return null;
  const url = new URL(link.href);
  if (url.origin !== origin || !(url.pathname === '/' || url.pathname.startsWith('/lessons'))) return null;
  return url;
}

/** The heading a route's view is known by: focus goes there after in-app navigation. */
export function headingSelector(page: Route['page']): string {
  return page === 'lesson' ? '#step-title' : page === 'index' ? '#lessons-title' : '#studio-title';
}
