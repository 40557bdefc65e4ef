import { expect, test } from 'vitest';
import type { Route } from '../lessons/route.ts';
import { addressOf, historyUpdate } from './urlSync.ts';

const studio = { url: () => '/?lanes=sse,ws' };
const guide = (lesson: string | null, step = 0, present = false) => ({ lesson: lesson === null ? null : ({ slug: lesson } as never), step, present });

test.each<[string, Route, boolean, ReturnType<typeof guide>, string | null]>([
  ['the studio: its settings', { page: 'studio' }, false, guide(null), '/?lanes=sse,ws'],
  ['the studio on the second origin: left alone', { page: 'studio' }, true, guide(null), null],
  ['a lesson step, counted from 1', { page: 'lesson', slug: 'chunks', step: 0 }, false, guide('chunks', 2), '/lessons/chunks/3'],
  ['a lesson step in presenter mode', { page: 'lesson', slug: 'chunks', step: 0 }, false, guide('chunks', 0, true), '/lessons/chunks/1?present=1'],
  ['a lesson still loading: left alone', { page: 'lesson', slug: 'chunks', step: 0 }, false, guide(null), null],
  ['the lesson index: left alone', { page: 'index' }, false, guide(null), null],
  ['the audience view: left alone', { page: 'follow' }, false, guide('chunks', 1), null],
])('addressOf: %s', (_, route, secondOrigin, g, want) => {
  expect(addressOf(route, secondOrigin, studio, g)).toBe(want);
});

test.each<[string, string | null, string, string, 'replace' | 'push' | null]>([
  ['nothing to write', null, '/', '', null],
  ['the same address', '/?lanes=sse', '/', '?lanes=sse', null],
  ['other settings, same page', '/?lanes=ws', '/', '?lanes=sse', 'replace'],
  ['a lesson by its folder name', '/lessons/chunks/1', '/lessons/02-chunks', '', 'replace'],
  ['a lesson without its step number', '/lessons/chunks/1', '/lessons/chunks', '', 'replace'],
  ['presenter mode on the same step', '/lessons/chunks/2?present=1', '/lessons/chunks/2', '', 'replace'],
  ['the next step', '/lessons/chunks/3', '/lessons/chunks/2', '', 'push'],
  ['from the index to the studio', '/?lanes=sse', '/lessons', '', 'push'],
])('historyUpdate: %s', (_, url, pathname, search, want) => {
  expect(historyUpdate(url, pathname, search)).toBe(want);
});
