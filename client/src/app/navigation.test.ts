import { expect, test } from 'vitest';
import { headingSelector, inAppUrl, type Click, type Link } from './navigation.ts';

const origin = 'http://localhost:3000';
const plain: Click = { button: 0, ctrlKey: false, metaKey: false, shiftKey: false };
const link = (href: string, extra: Partial<Link> = {}): Link => ({ href: new URL(href, origin).href, target: '', written: href, ...extra });

test.each<[string, Click, Link, string | null]>([
  ['the studio', plain, link('/'), '/'],
  ['the studio with settings', plain, link('/?lanes=sse&lab=lb'), '/?lanes=sse&lab=lb'],
  ['the lesson index', plain, link('/lessons'), '/lessons'],
  ['a lesson step', plain, link('/lessons/chunks/2'), '/lessons/chunks/2'],
  ['another origin', plain, link('https://example.com/lessons'), null],
  ['another path of this origin (the API, a file)', plain, link('/api/prompts'), null],
  ['the audience view (a page load of its own)', plain, link('/follow'), null],
  ['an anchor on this page', plain, link('#lanes'), null],
  ['an <a> without href (no link at all)', plain, { href: '', target: '', written: null }, null],
  ['a target', plain, link('/lessons', { target: '_blank' }), null],
  ['the middle button', { ...plain, button: 1 }, link('/lessons'), null],
  ['Ctrl-click (a new tab)', { ...plain, ctrlKey: true }, link('/lessons'), null],
  ['⌘-click (a new tab)', { ...plain, metaKey: true }, link('/lessons'), null],
  ['Shift-click (a new window)', { ...plain, shiftKey: true }, link('/lessons'), null],
])('inAppUrl: %s', (_, click, l, want) => {
  const url = inAppUrl(click, l, origin);
  expect(url && url.pathname + url.search).toBe(want);
});

test.each([
  ['lesson', '#step-title'],
  ['index', '#lessons-title'],
  ['studio', '#studio-title'],
  ['follow', '#studio-title'],
] as const)('the %s view is known by %s', (page, want) => {
  expect(headingSelector(page)).toBe(want);
});
