/**
 * The follow channel from the page's side: the audience view (`/follow`) shows the step the
 * presenter publishes; every other page offers to be the presenter, if this browser is.
 */
import type { Guide } from '../lessons/Guide.svelte.ts';
import { amPresenter, follow } from '../lessons/follow.ts';
import { watchesByDefault } from '../../../shared/broadcast.ts';

/** The audience view's link to the presenter: not yet open, open, or lost (the browser reconnects by itself). */
export type FollowStatus = 'waiting' | 'connected' | 'lost';

/**
 * Follows the presenter: presenter mode, the presenter's step (loaded with `showStep` when it is
 * another) and blank screen; `onstatus` hears how the link is. Returns the way to stop.
 * `subscribe` is the channel itself (a test passes its own).
 */
export function followPresenter(
  guide: Pick<Guide, 'lesson' | 'step' | 'present' | 'blank' | 'namedRun'>,
  showStep: (slug: string, step: number) => void,
  onstatus: (status: FollowStatus) => void,
  subscribe: typeof follow = follow,
  onclass: (followers: number) => void = () => {},
): () => void {
  guide.present = true;
  return subscribe(
    (position) => {
      // First: the step about to show looks for this run (and only this one) while watching.
      guide.namedRun = position.run ?? null;
      if (position.slug !== guide.lesson?.slug || position.step !== guide.step) showStep(position.slug, position.step);
      guide.blank = position.blank;
    },
    (connected) => onstatus(connected ? 'connected' : 'lost'),
    onclass,
  );
}

/**
 * Whether a follower watches the presenter's run rather than running each step itself: what the
 * address asks (`?watch=1` or `?watch=0`), else by the class's size when this page joined (more
 * than `watchAbove` followers: watch; a small class runs its own).
 */
export function watchesAtFirst(followers: number, asked: string | null): boolean {
  if (asked === '1') return true;
  if (asked === '0') return false;
  return watchesByDefault(followers);
}

/**
 * If this browser holds the presenter token, its moves are published from now on, and where it
 * is now at once. `presenter` asks the server (a test passes its own answer).
 */
export function leadIfPresenter(guide: Pick<Guide, 'publishes' | 'announce'>, presenter: typeof amPresenter = amPresenter): Promise<void> {
  return presenter().then((yes) => {
    guide.publishes = yes;
    guide.announce();
  });
}
