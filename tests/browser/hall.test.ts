/**
 * A hall in Chromium (`startHall()`: redis-server, two processes, nginx): the presenter's browser
 * kept on one process, a follower's on the other; the follower moves with the presenter and
 * watches the presenter's run, which reaches it through Redis. Skipped, saying why, without
 * redis-server or nginx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildPage, launch, openPage } from './browser.ts';
import { hallMissing, startHall, type Hall } from '../../server/hall/hall.ts';
import { hallCookie, hallProcessHeader } from '../../server/hall/hallNginxConfig.ts';

const missing = hallMissing();

const textOf = (page: Page, selector: string) => page.locator(selector).evaluateAll((els) => els.map((el) => (el as HTMLElement).innerText).join('\n'));
const bubble = async (page: Page, lane: string) => (await textOf(page, `.lane[data-lane="${lane}"] .bubble`)).replace(/▍/g, '').trim();

describe.skipIf(missing.length > 0)(`a hall in Chromium${missing.length ? ` (skipped: ${missing.join('; ')})` : ''}`, () => {
  let hall: Hall;
  let browser: Browser;
  beforeAll(async () => {
    [hall, browser] = await Promise.all([buildPage().then((staticDir) => startHall({ staticDir })), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    await hall?.stop();
  });

  /** A hall cookie nginx sends to process `i`. */
  async function keyFor(i: number): Promise<string> {
    const target = `127.0.0.1:${hall.processes[i]!.port}`;
    for (let k = 0; k < 50; k++) {
      const response = await fetch(`${hall.url}/api/follow/me`, { headers: { Cookie: `${hallCookie}=key-${k}` } });
      await response.arrayBuffer();
      if (response.headers.get(hallProcessHeader) === target) return `key-${k}`;
    }
    throw new Error(`no key of 50 lands on process ${i + 1}`);
  }

  it('a follower on the other process than the presenter’s moves with it and watches its run, through Redis', async () => {
    const presenterErrors: string[] = [];
    const followerErrors: string[] = [];
    const presenting = await openPage(browser, presenterErrors);
    const follower = await openPage(browser, followerErrors);
    try {
      await presenting.context().addCookies([{ name: hallCookie, value: await keyFor(0), url: hall.url }]);
      await follower.context().addCookies([{ name: hallCookie, value: await keyFor(1), url: hall.url }]);
      await presenting.goto(hall.presenterUrl);
      await follower.goto(`${hall.url}/follow?watch=1`);
      await expect.poll(() => follower.locator('.follow-status').innerText()).toContain('Following the presenter');

      await presenting.goto(`${hall.url}/lessons/why-stream/2?present=1`);
      await expect.poll(() => follower.locator('#step-title').innerText(), { timeout: 15_000 }).toContain('Time to first token');
      // The run the presenter makes on the first process, drawn on the second.
      await expect.poll(async () => (await bubble(follower, 'sse')).length, { timeout: 20_000 }).toBeGreaterThan(20);
      const seen = await bubble(follower, 'sse');
      expect(await bubble(presenting, 'sse')).toContain(seen.slice(0, 20));
      const me = async (i: number) => (await (await fetch(`${hall.processes[i]!.url}/api/follow/me`)).json()) as { followers: number; watching: number };
      expect(await me(1)).toMatchObject({ followers: 1, watching: 1 });
      expect(await me(0)).toMatchObject({ followers: 0, watching: 0 });
      expect(followerErrors).toEqual([]);
      expect(presenterErrors).toEqual([]);
    } catch (error) {
      await follower.screenshot({ path: '/tmp/hall-follower.png' });
      await presenting.screenshot({ path: '/tmp/hall-presenter.png' });
      throw error;
    } finally {
      await follower.close();
      await presenting.close();
    }
  }, 90_000);
});
