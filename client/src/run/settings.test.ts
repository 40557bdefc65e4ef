import { describe, expect, test } from 'vitest';
import { defaultSettings, settingsFromQuery, settingsQuery, type Settings } from './settings.ts';

describe('settingsFromQuery', () => {
  test.each<[string, Partial<Settings>]>([
    ['', {}],
    ['?tps=50&ttft=0&jitter=0&seed=7', { tps: 50, ttft: 0, jitter: 0, seed: 7 }],
    ['?prompt=long-answer', { prompt: 'long-answer' }],
    ['?text=Hi%20there', { text: 'Hi there' }],
    // Unreadable or empty numbers keep their defaults.
    ['?tps=fast&ttft=&seed=%20', {}],
    ['?tps=Infinity', {}],
    ['?jitter=0.5', { jitter: 0.5 }],
    ['?fail=3', { fail: 3 }],
    ['?fail=%203%20', { fail: 3 }],
    // Only a whole number of tokens.
    ['?fail=-1', {}],
    ['?fail=2.5', {}],
    ['?fail=', {}],
    // Padding: 0 or out of bounds is off.
    ['?pad=64', { pad: 64 }],
    ['?pad=0', {}],
    ['?pad=8', {}],
    ['?pad=2048', {}],
  ])('%j', (query, want) => {
    expect(settingsFromQuery(new URLSearchParams(query))).toEqual({ ...defaultSettings, ...want });
  });

  test('a base other than the defaults fills what the query leaves out, its fail included', () => {
    const base: Settings = { ...defaultSettings, tps: 5, fail: 4 };
    expect(settingsFromQuery(new URLSearchParams('?seed=2'), base)).toEqual({ ...base, seed: 2 });
    expect(settingsFromQuery(new URLSearchParams('?fail=1'), base)).toEqual({ ...base, fail: 1 });
  });
});

describe('settingsQuery', () => {
  test.each<[Partial<Settings>, string | undefined, string]>([
    [{}, undefined, 'prompt=what-is-sse&tps=20&ttft=600&jitter=0.3&seed=1'],
    // The learner's own text replaces the prompt.
    [{ text: 'Hi' }, undefined, 'text=Hi&tps=20&ttft=600&jitter=0.3&seed=1'],
    [{ fail: 3 }, 'r1', 'prompt=what-is-sse&tps=20&ttft=600&jitter=0.3&seed=1&fail=3&run=r1'],
    [{ fail: null }, undefined, 'prompt=what-is-sse&tps=20&ttft=600&jitter=0.3&seed=1'],
    [{ pad: 64 }, undefined, 'prompt=what-is-sse&tps=20&ttft=600&jitter=0.3&seed=1&pad=64'],
    [{ pad: 0 }, undefined, 'prompt=what-is-sse&tps=20&ttft=600&jitter=0.3&seed=1'],
  ])('%j, run %s', (settings, run, want) => {
    expect(settingsQuery({ ...defaultSettings, ...settings }, run).toString()).toBe(want);
  });

  test('a query read back gives the same settings', () => {
    const settings: Settings = { prompt: 'p', text: '', tps: 7, ttft: 12, jitter: 0.1, seed: 99, fail: 2 };
    expect(settingsFromQuery(settingsQuery(settings, 'r9'))).toEqual(settings);
    // The learner's own text goes instead of the prompt, which comes back as the default.
    const own: Settings = { ...settings, text: 'Hello, wire! 日本 & more' };
    expect(settingsFromQuery(settingsQuery(own))).toEqual({ ...own, prompt: defaultSettings.prompt });
  });
});
