/**
 * The page from the keyboard alone, in Chromium: choose a prompt, set tokens/s, start, pause, step
 * back and forward, open Hex and Headers on a lane, read a byte's explanation, export, open a
 * lesson and move through it. Focus moves only by Tab and the page's own keys, and the page sees
 * no mouse event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, servePage } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';

let server: Listening;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([servePage(), launch()]);
  page = await openPage(browser, errors);
  // Every trusted mouse or pointer event the page sees, counted.
  await page.addInitScript(() => {
    const w = window as unknown as { mouseEvents: number };
    w.mouseEvents = 0;
    for (const type of ['mousedown', 'mouseup', 'pointerdown', 'pointerup', 'mousemove']) {
      addEventListener(type, (e) => e.isTrusted && w.mouseEvents++, true);
    }
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** What has focus, as a short description. */
const focused = () =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el ? `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} ${el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 40) ?? ''}` : '';
  });

/** Presses Tab until the focused element matches `selector` (at most `max` times). */
async function tabTo(selector: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}; focus is on ${await focused()}`);
}

const time = () => page.locator('.playback .time').innerText();

describe('keyboard only', () => {
  it('runs, steps, reads bytes, exports and follows a lesson with no mouse event', async () => {
    await page.goto(`${server.url}/?ttft=0`);
    await expect.poll(() => page.locator('select option').count()).toBeGreaterThan(1);

    // The first Tab reaches the skip link.
    await page.keyboard.press('Tab');
    expect(await focused()).toContain('Skip to the lanes');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('lanes');

    // Choose a prompt and set tokens/s.
    await tabTo('.controls select', 80);
    const prompt = await page.locator('.controls select').inputValue();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator('.controls select').inputValue()).not.toBe(prompt);
    await tabTo('.controls input[type="number"]');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('60');
    expect(page.url()).toContain('tps=60');

    // Start from the keyboard: focus stays on the one Start/Stop button.
    await tabTo('.controls button.primary');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.controls button.primary').innerText()).toContain('Stop');
    expect(await page.evaluate(() => document.activeElement?.matches('.controls button.primary'))).toBe(true);
    await expect.poll(() => page.getByTestId('run-status').innerText()).toMatch(/Run started/);
    // Space on Stop pauses the run instead of aborting it.
    await page.keyboard.press('Space');
    await expect.poll(() => page.locator('.playback .play').getAttribute('aria-label')).toBe('Play');
    expect(await page.locator('.controls button.primary').innerText()).toContain('Stop');
    await page.keyboard.press('Space');
    await expect.poll(() => page.locator('.playback .play').getAttribute('aria-label')).toBe('Pause');
    await expect.poll(() => page.getByTestId('run-status').innerText(), { timeout: 20_000 }).toMatch(/Run finished/);
    expect(await page.evaluate(() => document.activeElement?.matches('.controls button.primary'))).toBe(true);
    expect(await page.locator('.controls button.primary').innerText()).toContain('Start');

    // Step back and forward through the recording: the playback bar's buttons, then the keys.
    const end = await time();
    // (The last few events can lie within a millisecond of each other: step until the time shows it.)
    await tabTo('.playback button[aria-label="Step back one event"]');
    for (let i = 0; i < 10 && (await time()) === end; i++) await page.keyboard.press('Enter');
    expect(await time()).not.toBe(end);
    const back = await time();
    for (let i = 0; i < 10 && (await time()) === back; i++) await page.keyboard.press('ArrowLeft');
    expect(await time()).not.toBe(back);
    for (let i = 0; i < 10 && (await time()) !== back; i++) await page.keyboard.press('ArrowRight');
    expect(await time()).toBe(back);
    await page.keyboard.press('End');
    await expect.poll(time).toBe(end);

    // The lane's tabs: ←/→/Home/End select Hex and Headers, and do not step the player.
    await tabTo('#lane-sse-tab-bytes');
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('#lane-sse-tab-hex').getAttribute('aria-selected')).toBe('true');
    expect(await focused()).toContain('lane-sse-tab-hex');
    expect(await page.locator('.lane[data-lane="sse"] .scroller').getAttribute('aria-label')).toContain('in hex');
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('#lane-sse-tab-headers').getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => page.locator('.lane[data-lane="sse"] .headers').count()).toBe(1);
    await page.keyboard.press('Home');
    expect(await page.locator('#lane-sse-tab-bytes').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('End');
    expect(await page.locator('#lane-sse-tab-headers').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect(await page.locator('#lane-sse-tab-bytes').getAttribute('aria-selected')).toBe('true');
    expect(await time()).toBe(end);

    // The skip link, with lanes on the page, leads to them.
    await tabTo('a.skip', 200);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.matches('.lanes#lanes'))).toBe(true);
    await tabTo('#lane-sse-tab-bytes');

    // Read a byte's explanation: into the byte view, then down its segments.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.matches('.lane[data-lane="sse"] .scroller'))).toBe(true);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator('.lane[data-lane="sse"] .explain').innerText()).toMatch(/\w/);
    const option = page.locator('.lane[data-lane="sse"] [role="option"][aria-selected="true"]');
    expect(await option.count()).toBe(1);
    expect(Number(await option.getAttribute('aria-posinset'))).toBeGreaterThan(0);

    // What a screen reader finds there: one option per segment (wrapped or not), escapes named, no gutter arrows.
    const tree = await page.locator('.lane[data-lane="sse"]').evaluate((lane) => {
      const options = [...lane.querySelectorAll('[role="option"]')];
      const positions = options.map((o) => o.getAttribute('aria-posinset'));
      return {
        options: options.length,
        unique: new Set(positions).size,
        setsize: new Set(options.map((o) => o.getAttribute('aria-setsize'))).size,
        exposedGutters: lane.querySelectorAll('.gutter:not([aria-hidden="true"])').length,
        crlf: [...lane.querySelectorAll('.esc[role="img"]')].some((e) => e.getAttribute('aria-label') === 'CR LF'),
        bubble: lane.querySelector('.bubble')?.getAttribute('aria-label') ?? '',
      };
    });
    expect(tree.options).toBeGreaterThan(5);
    expect(tree.unique).toBe(tree.options);
    expect(tree.setsize).toBe(1);
    expect(tree.exposedGutters).toBe(0);
    expect(tree.crlf).toBe(true);
    expect(tree.bubble).toContain('Server-Sent Events');
    // A segment wrapped over rows (the long request line) is named whole, escapes by name.
    const wrapped = page.locator('.lane[data-lane="sse"] [role="option"][data-kind="request-line"]');
    expect(await wrapped.ariaSnapshot()).toMatch(/option "GET \/api\/stream\/sse\?.* HTTP\/1\.1 CR LF"/);

    // Export the recording (Tab goes on past the end of the page and comes round to the top).
    await tabTo('.controls .actions button:nth-child(2)', 200);
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toMatch(/\.json$/);

    // Open a lesson: focus goes to each new view's heading, and the title names the route.
    await tabTo('nav.pages a[href="/lessons"]');
    await page.keyboard.press('Enter');
    await expect.poll(focused).toContain('lessons-title');
    expect(await page.title()).toBe('Lessons · Streamscope');
    await tabTo('a.card');
    await page.keyboard.press('Enter');
    await expect.poll(focused).toContain('step-title');
    await expect.poll(() => page.title()).toMatch(/\(step 1 of \d+\) · 1\. .+ · Streamscope$/);
    // PageDown first answers the step's prediction ("Show me"), then moves on.
    for (let i = 0; i < 4 && !/\(step 2 of/.test(await page.title()); i++) {
      await page.keyboard.press('PageDown');
      await page.waitForTimeout(200);
    }
    await expect.poll(() => page.title()).toMatch(/\(step 2 of \d+\)/);
    expect(page.url()).toMatch(/\/lessons\/[^/]+\/2$/);

    expect(await page.evaluate(() => (window as unknown as { mouseEvents: number }).mouseEvents)).toBe(0);
    expect(errors).toEqual([]);
  });
});
