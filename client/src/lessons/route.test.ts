import { describe, expect, it } from 'vitest';
import { canonicalPath, lessonPath, routeOf } from './route.ts';

describe('routeOf', () => {
  it.each([
    ['/', { page: 'studio' }],
    ['/lessons', { page: 'index' }],
    ['/lessons/', { page: 'index' }],
    ['/lessons/why-stream', { page: 'lesson', slug: 'why-stream', step: 0 }],
    ['/lessons/why-stream/3', { page: 'lesson', slug: 'why-stream', step: 2 }],
    ['/lessons/why-stream/0', { page: 'lesson', slug: 'why-stream', step: 0 }],
    ['/lessons/why-stream/x', { page: 'lesson', slug: 'why-stream', step: 0 }],
    ['/lessons/02-chunks', { page: 'lesson', slug: 'chunks', step: 0 }],
    ['/lessons/02-chunks/2', { page: 'lesson', slug: 'chunks', step: 1 }],
    ['/lessons/10-cost-per-token/3/', { page: 'lesson', slug: 'cost-per-token', step: 2 }],
    ['/follow', { page: 'follow' }],
    ['/elsewhere', { page: 'studio' }],
  ])('%s', (path, route) => {
    expect(routeOf(path)).toEqual(route);
  });

  it('round-trips a step path', () => {
    expect(routeOf(lessonPath('sse-format', 4))).toEqual({ page: 'lesson', slug: 'sse-format', step: 4 });
  });
});

describe('canonicalPath', () => {
  it.each([
    ['/lessons/02-chunks', '/lessons/chunks/1'],
    ['/lessons/02-chunks/2', '/lessons/chunks/2'],
    ['/lessons/chunks', '/lessons/chunks/1'],
    ['/lessons/chunks/2', null],
    ['/lessons', null],
    ['/follow', null],
    ['/', null],
  ])('%s', (path, canonical) => {
    expect(canonicalPath(path)).toBe(canonical);
  });
});
