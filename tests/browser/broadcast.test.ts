/**
 * Broadcast follow in Chromium: a presenter's page and a follower's page (two browser contexts).
 * The follower watches: it shows the presenter's run (the same lane text), live, without opening a
 * stream of its own; switched to "Run it yourself", it runs the step itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, servePage } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';
import { Presenter } from '../../server/classroom/presenter.ts';

const presenter = new Presenter('broadcast-presenter-token');
let server: Listening;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([servePage({ presenter }), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The text of what `selector` finds now ('' for nothing), without waiting for it. */
const textOf = (page: Page, selector: string) => page.locator(selector).evaluateAll((els) => els.map((el) => (el as HTMLElement).innerText).join('\n'));
const bubble = (page: Page, lane: string) => textOf(page, `.lane[data-lane="${lane}"] .bubble`);

/** What the reply streams go to: a page that watches opens none of these. */
const streamRequest = /\/api\/(stream|tap)|\/v1\/(chat|messages)/;

describe('broadcast follow', () => {
  it('a watching follower shows the presenter’s run, live, and opens no stream of its own', async () => {
    const presenterErrors: string[] = [];
    const followerErrors: string[] = [];
    const presenting = await openPage(browser, presenterErrors);
    const follower = await openPage(browser, followerErrors);
    const followerRequests: string[] = [];
    follower.on('request', (request) => followerRequests.push(request.url()));
    try {
      await presenting.goto(`${server.url}/present?token=${presenter.token}`);
      // A class of one runs its own by default; the address asks to watch.
      await follower.goto(`${server.url}/follow?watch=1`);
      await expect.poll(() => follower.locator('.follow-status').innerText()).toContain('Following the presenter');
      expect(await follower.getByLabel('Watch the presenter’s run').isChecked()).toBe(true);

      await presenting.goto(`${server.url}/lessons/chunks/2?present=1`);
      await expect
        .poll(
          () =>
            follower
              .locator('#step-title')
              .innerText()
              .catch(() => ''),
          { timeout: 10_000 },
        )
        .toContain('Every chunk says its size');
      // The step is about the SSE lane's bytes; V shows every view, the replies too.
      await presenting.keyboard.press('v');
      await follower.keyboard.press('v');
      // Live: the follower's SSE bubble grows while the presenter's run is still going.
      await expect.poll(() => bubble(follower, 'sse'), { timeout: 10_000 }).not.toBe('');
      expect(await presenting.locator('.lane[data-lane="sse"]').count()).toBe(1);
      // When the presenter's run is over (no caret in its bubbles), the follower's lanes say the same.
      await expect.poll(() => bubble(presenting, 'http'), { timeout: 20_000 }).not.toMatch(/^$|waiting for the whole reply/);
      await expect.poll(async () => (await bubble(presenting, 'sse')).includes('▍'), { timeout: 20_000 }).toBe(false);
      const presenterText = { sse: await bubble(presenting, 'sse'), http: await bubble(presenting, 'http') };
      // The presenter's page is projected: its lanes' request bytes carry its cookie, the token masked.
      const byteViews = await presenting.locator('.lane .wire').evaluateAll((els) => els.map((el) => el.textContent ?? '').join('\n'));
      expect(byteViews).toContain(`streamscope-presenter=${'*'.repeat(presenter.token.length)}`);
      expect(byteViews).not.toContain(presenter.token);
      expect(await presenting.content()).not.toContain(presenter.token);
      await expect.poll(() => bubble(follower, 'http'), { timeout: 10_000 }).toBe(presenterText.http);
      await expect.poll(() => bubble(follower, 'sse'), { timeout: 10_000 }).toBe(presenterText.sse);
      expect(followerRequests.filter((url) => streamRequest.test(url))).toEqual([]);
      expect(followerRequests.some((url) => url.endsWith('/api/follow/run'))).toBe(true);

      // The player scrubs what arrived: Home takes both back to time 0 (pressed again until the
      // follower's step has settled on the moment it is about, as the presenter's has).
      const home = async (page: Page) => {
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await page.keyboard.press('Home');
        return bubble(page, 'sse');
      };
      // The presenter's step parks the run on its moment once it has settled: Home before that is undone.
      await presenting.locator('.lesson[data-settled="true"]').waitFor({ timeout: 20_000 });
      const atStart = await home(presenting);
      expect(atStart).not.toBe(presenterText.sse);
      await expect.poll(() => home(follower), { timeout: 10_000 }).toBe(atStart);

      // Run it yourself: the follower now opens its own streams for the step.
      await follower.getByLabel('Run it yourself').check();
      // The step starts again on its own evidence; V shows the replies again (focus off the switch first).
      await follower.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await follower.keyboard.press('v');
      await expect.poll(() => followerRequests.filter((url) => streamRequest.test(url)).length, { timeout: 10_000 }).toBeGreaterThan(0);
      await expect.poll(() => bubble(follower, 'http'), { timeout: 20_000 }).toBe(presenterText.http);

      expect(presenterErrors).toEqual([]);
      expect(followerErrors).toEqual([]);
    } catch (error) {
      await follower.screenshot({ path: '/tmp/follower.png' });
      await presenting.screenshot({ path: '/tmp/presenter.png' });
      throw error;
    } finally {
      await follower.close();
      await presenting.close();
    }
  }, 60_000);

  it('a watching follower that moves to a step with a new run never shows the step before’s run: it waits for the run the position names', async () => {
    const presenterErrors: string[] = [];
    const followerErrors: string[] = [];
    const presenting = await openPage(browser, presenterErrors);
    const follower = await openPage(browser, followerErrors);
    try {
      await presenting.goto(`${server.url}/present?token=${presenter.token}`);
      await follower.goto(`${server.url}/follow?watch=1`);
      await expect.poll(() => follower.locator('.follow-status').innerText()).toContain('Following the presenter');
      // Lesson 1, step 2: a run of three lanes; step 3 starts a new one with the same lanes.
      await presenting.goto(`${server.url}/lessons/why-stream/2?present=1`);
      await expect.poll(() => bubble(follower, 'sse'), { timeout: 15_000 }).not.toBe('');
      // The presenter's next run reaches nobody for a while (its batches fail, and are sent again later).
      let blocked = true;
      await presenting.route('**/api/follow/run', (route) => (blocked && route.request().method() === 'POST' ? route.abort() : route.continue()));
      await presenting.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await presenting.keyboard.press('PageDown');
      await expect.poll(() => follower.locator('#step-title').innerText(), { timeout: 10_000 }).toContain('A slower model makes it obvious');
      // Same lanes, so the old run would fit: it must not show.
      for (let i = 0; i < 10; i++) {
        expect(await bubble(follower, 'sse')).toBe('');
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      blocked = false;
      await expect.poll(() => bubble(follower, 'sse'), { timeout: 15_000 }).not.toBe('');
      expect(followerErrors).toEqual([]);
    } catch (error) {
      await follower.screenshot({ path: '/tmp/follower-step.png' });
      await presenting.screenshot({ path: '/tmp/presenter-step.png' });
      throw error;
    } finally {
      await follower.close();
      await presenting.close();
    }
  }, 60_000);
});
