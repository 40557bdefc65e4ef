import { expect, test } from 'vitest';
import type { Route } from '../lessons/route.ts';
import { documentTitle } from './documentTitle.ts';

const lesson = { slug: 'chunks', number: 2, title: 'Chunks on the wire', steps: [{ title: 'The head' }, { title: 'A chunk' }] } as never;

test.each<[string, Route, string | null, { lesson: never | null; step: number }, string]>([
  ['the studio', { page: 'studio' }, null, { lesson: null, step: 0 }, 'Studio · Streamscope'],
  ['a lab', { page: 'studio' }, 'lb', { lesson: null, step: 0 }, 'Load balancer lab · Streamscope'],
  ['an unknown lab, as typed', { page: 'studio' }, 'nope', { lesson: null, step: 0 }, 'nope lab · Streamscope'],
  ['the lesson index', { page: 'index' }, null, { lesson: null, step: 0 }, 'Lessons · Streamscope'],
  ['a lesson step', { page: 'lesson', slug: 'chunks', step: 1 }, null, { lesson, step: 1 }, 'A chunk (step 2 of 2) · 2. Chunks on the wire · Streamscope'],
  ['a lesson still loading', { page: 'lesson', slug: 'chunks', step: 1 }, null, { lesson: null, step: 0 }, 'Lesson · Streamscope'],
  ['the audience, before the first step', { page: 'follow' }, null, { lesson: null, step: 0 }, 'Following the presenter · Streamscope'],
  ['the audience on a step', { page: 'follow' }, null, { lesson, step: 0 }, 'The head (step 1 of 2) · 2. Chunks on the wire · Streamscope'],
])('%s', (_, route, lab, guide, want) => {
  expect(documentTitle(route, { lab }, guide)).toBe(want);
});
