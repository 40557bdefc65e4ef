/** The audience channel: the presenter publishes where the class is; followers get it over SSE. */

import type { ClassPosition } from '../../../shared/follow.ts';

/** Whether this browser holds the presenter token (its cookie, set by the printed /present URL). */
export async function amPresenter(): Promise<boolean> {
  try {
    const response = await fetch('/api/follow/me');
    return ((await response.json()) as { presenter?: boolean }).presenter === true;
  } catch {
    return false;
  }
}

/** Tells the followers where the class is. Only the presenter's browser is let through. */
export function publish(position: ClassPosition): void {
  void fetch('/api/follow', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(position) }).catch(() => {
    // A follower keeps its last position; the next step publishes again.
  });
}

/**
 * Follows the presenter: calls `onposition` with the current position, then each change, and
 * `onclass` once the link is open with how many pages follow (this one too).
 */
export function follow(
  onposition: (position: ClassPosition) => void,
  onstatus: (connected: boolean) => void,
  onclass: (followers: number) => void = () => {},
): () => void {
  const source = new EventSource('/api/follow');
  source.addEventListener('class', (event) => onclass((JSON.parse((event as MessageEvent<string>).data) as { followers: number }).followers));
  source.addEventListener('position', (event) => onposition(JSON.parse((event as MessageEvent<string>).data) as ClassPosition));
  source.onopen = () => onstatus(true);
  // EventSource reconnects by itself; say so meanwhile.
  source.onerror = () => onstatus(false);
  return () => source.close();
}
