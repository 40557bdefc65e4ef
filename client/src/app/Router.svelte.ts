import { tick } from 'svelte';
import { routeOf, type Route } from '../lessons/route.ts';
import { headingSelector, inAppUrl } from './navigation.ts';

/**
 * The page's route: the one shown, and moving to another without a reload (links to the page's
 * own routes, Back and Forward), with focus on the new view's heading as a page load would put a
 * screen reader at the top of the new page. What a route shows is the page's: `onroute` hears each.
 */
export class Router {
  route = $state<Route>(routeOf(location.pathname));
  readonly #onroute: (route: Route) => void;

  constructor(onroute: (route: Route) => void) {
    this.#onroute = onroute;
  }

  /** Shows a route; `moved` (in-app navigation, not the first load) moves focus to its heading. */
  go(next: Route, moved = false): void {
    this.route = next;
    if (moved) void this.#focusHeading();
    this.#onroute(next);
  }

  /** Back and Forward move in the page. Returns the way to stop. */
  listen(): () => void {
    const onpopstate = () => this.go(routeOf(location.pathname), true);
    addEventListener('popstate', onpopstate);
    return () => removeEventListener('popstate', onpopstate);
  }

  /** For the document's clicks: a link to the page's own routes moves without a reload (and without losing the run). */
  onclick = (e: MouseEvent): void => {
    const link = (e.target as HTMLElement).closest('a');
    if (!link) return;
    const url = inAppUrl(e, { href: link.href, target: link.target, written: link.getAttribute('href') }, location.origin);
    if (!url) return;
    e.preventDefault();
    history.pushState(null, '', url.pathname + url.search);
    this.go(routeOf(url.pathname), true);
  };

  /** The new view's heading takes focus once drawn (a lesson's step loads in its own chunk: wait for it). */
  async #focusHeading(): Promise<void> {
    for (let i = 0; i < 40; i++) {
      await tick();
      const heading = document.querySelector<HTMLElement>(headingSelector(this.route.page));
      if (heading) {
        heading.tabIndex = -1;
        heading.focus();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
