import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { listen, type Listening } from '../testing/listen.ts';
import { Presenter } from '../classroom/presenter.ts';

const presenter = new Presenter('the-presenters-token');
let server: Listening;
beforeAll(async () => {
  server = await listen({ presenter });
});
afterAll(() => server.close());

/** A follower: an open /api/follow stream whose `position` events collect in `positions`. */
async function follower() {
  const abort = new AbortController();
  const response = await fetch(`${server.url}/api/follow`, { signal: abort.signal });
  const positions: unknown[] = [];
  const waiters: (() => void)[] = [];
  const parser = createParser({
    onEvent: (e: EventSourceMessage) => {
      if (e.event === 'position') positions.push(JSON.parse(e.data));
      waiters.splice(0).forEach((w) => w());
    },
  });
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      // aborted
    }
  })();
  return {
    response,
    positions,
    /** Resolves once `n` positions have arrived. */
    async next(n: number) {
      while (positions.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => abort.abort(),
  };
}

const move = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/api/follow`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
const asPresenter = { Authorization: `Bearer ${presenter.token}` };

async function followerCount(): Promise<number> {
  return ((await (await fetch(`${server.url}/api/follow/me`)).json()) as { followers: number }).followers;
}

describe('the audience channel', () => {
  it('moves every follower when the presenter moves, and catches up a late follower', async () => {
    const a = await follower();
    expect(a.response.headers.get('content-type')).toBe('text/event-stream');
    expect((await move({ slug: 'why-stream', step: 2 }, asPresenter)).status).toBe(204);
    await a.next(1);
    expect(a.positions).toEqual([{ slug: 'why-stream', step: 2, blank: false }]);

    const late = await follower();
    await late.next(1);
    expect(late.positions).toEqual([{ slug: 'why-stream', step: 2, blank: false }]);

    await move({ slug: 'why-stream', step: 3, blank: true }, asPresenter);
    await Promise.all([a.next(2), late.next(2)]);
    expect(a.positions[1]).toEqual({ slug: 'why-stream', step: 3, blank: true });
    expect(late.positions[1]).toEqual({ slug: 'why-stream', step: 3, blank: true });
    // Once the presenter's run for the step begins, the position names it.
    await move({ slug: 'why-stream', step: 3, blank: true, run: 'run-3' }, asPresenter);
    await Promise.all([a.next(3), late.next(3)]);
    expect(a.positions[2]).toEqual({ slug: 'why-stream', step: 3, blank: true, run: 'run-3' });
    a.close();
    late.close();
    await expect.poll(followerCount).toBe(0);
  });

  it('refuses to let anyone but the presenter move the class', async () => {
    const student = await move({ slug: 'why-stream', step: 0 });
    expect(student.status).toBe(403);
    expect(((await student.json()) as { detail: string }).detail).toMatch(/presenter URL printed/);
    expect((await move({ slug: 'why-stream', step: 0 }, { Authorization: 'Bearer wrong-token' })).status).toBe(403);
    expect((await move({ slug: 'why-stream', step: 0 }, { Cookie: 'streamscope-presenter=guess' })).status).toBe(403);
  });

  it.each([
    [{ slug: 'Why Stream', step: 0 }, 'slug'],
    [{ slug: 'why-stream', step: -1 }, 'step'],
    [{ slug: 'why-stream', step: 1.5 }, 'step'],
    [{ slug: 'why-stream', step: 0, blank: 'yes' }, 'blank'],
    [{ slug: 'why-stream', step: 0, extra: 1 }, 'extra'],
    [{ slug: 'why-stream', step: 0, run: 'a run' }, 'run'],
    ['not an object', 'body'],
  ])('answers 400 naming the field for %j', async (body, param) => {
    const response = await move(body, asPresenter);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { param: string }).param).toBe(param);
  });

  it('hands the presenter cookie to the printed URL, and only to it', async () => {
    const wrong = await fetch(`${server.url}/present?token=nope`, { redirect: 'manual' });
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const right = await fetch(`${server.url}/present?token=${presenter.token}`, { redirect: 'manual' });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/lessons');
    const cookie = right.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);

    const me = (await (await fetch(`${server.url}/api/follow/me`, { headers: { Cookie: cookie.split(';')[0]! } })).json()) as { presenter: boolean };
    expect(me.presenter).toBe(true);
    expect(((await (await fetch(`${server.url}/api/follow/me`)).json()) as { presenter: boolean }).presenter).toBe(false);
    expect((await move({ slug: 'sse-format', step: 1 }, { Cookie: cookie.split(';')[0]! })).status).toBe(204);
  });
});
