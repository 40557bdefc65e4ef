import { describe, expect, it } from 'vitest';
import { lessonPath, routeOf } from './route.ts';

describe('routeOf', () => {
  it.each([
    ['/', { page: 'studio' }],
    ['/lessons', { page: 'index' }],
    ['/lessons/', { page: 'index' }],
    ['/lessons/why-stream', { page: 'lesson', slug: 'why-stream', step: 0 }],
    ['/lessons/why-stream/3', { page: 'lesson', slug: 'why-stream', step: 2 }],
    ['/lessons/why-stream/0', { page: 'lesson', slug: 'why-stream', step: 0 }],
    ['/lessons/why-stream/x', { page: 'lesson', slug: 'why-stream', step: 0 }],
    ['/follow', { page: 'follow' }],
    ['/elsewhere', { page: 'studio' }],
  ])('%s', (path, route) => {
    expect(routeOf(path)).toEqual(route);
  });

  it('round-trips a step path', () => {
    expect(routeOf(lessonPath('sse-format', 4))).toEqual({ page: 'lesson', slug: 'sse-format', step: 4 });
  });
});
