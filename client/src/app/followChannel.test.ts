import { expect, test } from 'vitest';
import { followPresenter, leadIfPresenter, type FollowStatus } from './followChannel.ts';

type Position = { slug: string; step: number; blank: boolean };

/** A channel the test drives: `send` a position, `link` up or down. */
function channel() {
  const ch = { send: (_: Position) => {}, link: (_: boolean) => {}, closed: false };
  const subscribe = (onposition: (p: Position) => void, onstatus: (connected: boolean) => void) => {
    ch.send = onposition;
    ch.link = onstatus;
    return () => void (ch.closed = true);
  };
  return { ch, subscribe };
}

function follower() {
  const guide = { lesson: null as { slug: string } | null, step: 0, present: false, blank: false };
  const shown: string[] = [];
  const statuses: FollowStatus[] = [];
  const { ch, subscribe } = channel();
  // The fake guide stands for the real one: the channel only reads and sets these fields.
  const stop = followPresenter(
    guide as never,
    (slug, step) => shown.push(`${slug}/${step}`),
    (s) => statuses.push(s),
    subscribe as never,
  );
  return { guide, shown, statuses, ch, stop };
}

test('the audience view is in presenter mode', () => {
  expect(follower().guide.present).toBe(true);
});

test('a position on another step shows that step; the same step does not load again', () => {
  const f = follower();
  f.ch.send({ slug: 'chunks', step: 1, blank: false });
  expect(f.shown).toEqual(['chunks/1']);
  f.guide.lesson = { slug: 'chunks' };
  f.guide.step = 1;
  f.ch.send({ slug: 'chunks', step: 1, blank: true });
  expect(f.shown).toEqual(['chunks/1']);
  f.ch.send({ slug: 'chunks', step: 2, blank: false });
  f.ch.send({ slug: 'frames', step: 1, blank: false });
  expect(f.shown).toEqual(['chunks/1', 'chunks/2', 'frames/1']);
});

test('the blank screen follows the presenter', () => {
  const f = follower();
  f.ch.send({ slug: 'chunks', step: 0, blank: true });
  expect(f.guide.blank).toBe(true);
  f.ch.send({ slug: 'chunks', step: 0, blank: false });
  expect(f.guide.blank).toBe(false);
});

test('the link status is reported', () => {
  const f = follower();
  f.ch.link(true);
  f.ch.link(false);
  f.ch.link(true);
  expect(f.statuses).toEqual(['connected', 'lost', 'connected']);
});

test('stopping closes the channel', () => {
  const f = follower();
  f.stop();
  expect(f.ch.closed).toBe(true);
});

test.each([true, false])('presenter token %s: publishes, and announces where it is', async (yes) => {
  const log: string[] = [];
  const guide = { publishes: !yes, announce: () => void log.push(`announce (publishes ${guide.publishes})`) };
  await leadIfPresenter(guide, () => Promise.resolve(yes));
  expect(guide.publishes).toBe(yes);
  expect(log).toEqual([`announce (publishes ${yes})`]);
});

test('a follower watches the presenter’s run by default in a class of more than 30, and runs its own in a smaller one, unless the address says', async () => {
  const { watchesAtFirst } = await import('./followChannel.ts');
  expect(watchesAtFirst(1, null)).toBe(false);
  expect(watchesAtFirst(30, null)).toBe(false);
  expect(watchesAtFirst(31, null)).toBe(true);
  expect(watchesAtFirst(2000, '0')).toBe(false);
  expect(watchesAtFirst(2, '1')).toBe(true);
});

test('the broadcast run a position names is what a watching step looks for, set before the step shows', () => {
  const f = follower();
  const guide = f.guide as typeof f.guide & { namedRun?: string | null };
  f.ch.send({ slug: 'chunks', step: 1, blank: false });
  expect(guide.namedRun).toBeNull();
  f.ch.send({ slug: 'chunks', step: 1, blank: false, run: 'run-7' } as Position);
  expect(guide.namedRun).toBe('run-7');
  f.ch.send({ slug: 'chunks', step: 2, blank: false });
  expect(guide.namedRun).toBeNull();
});
