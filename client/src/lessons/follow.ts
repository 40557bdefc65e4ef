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

/** How long the presenter's page waits before it sends a move again that did not get through. */
export const moveRetryMs = 1000;

type PostMove = (position: ClassPosition) => Promise<{ status: number }>;

const postMove: PostMove = (position) =>
  fetch('/api/follow', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(position) });

/**
 * The presenter's moves, sent one at a time. A move that does not get through (the network, or a
 * 503 while the class's store is away) is sent again every `retryMs` until it does, so followers
 * are not left behind until the next step; a newer move replaces it (only where the class is now
 * matters). Any other answer (403: not the presenter; 400) is final. Returns the way to publish.
 */
export function movePublisher(post: PostMove = postMove, retryMs = moveRetryMs): (position: ClassPosition) => void {
  let latest: ClassPosition | null = null;
  let sending = false;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const send = async (): Promise<void> => {
    clearTimeout(retry);
    retry = undefined;
    const position = latest;
    if (!position) return;
    sending = true;
    let again = false;
    try {
      again = (await post(position)).status === 503;
    } catch {
      again = true;
    } finally {
      sending = false;
    }
    // A newer move came meanwhile: that one, now.
    if (latest !== position) return void send();
    if (again) retry = setTimeout(() => void send(), retryMs);
    else latest = null;
  };

  return (position) => {
    latest = position;
    if (!sending) void send();
  };
}

/** Tells the followers where the class is. Only the presenter's browser is let through. */
export const publish = movePublisher();

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
