/**
 * Lesson 8's real-model step (`run: upstream`) in Chromium: live against the server's upstream
 * when it has one (the fake model of `server/testing/fakeModel.ts`), else the recording shipped
 * with the lesson and a note on how to configure a model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, replySource, servePage } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';
import { fakeModel, fakeModelId, fakeReply, type FakeModel } from '../../server/testing/fakeModel.ts';
import { readLesson } from '../../lessons/format/parseLesson.ts';
import { Presenter } from '../../server/classroom/presenter.ts';
import { followerUpstreamNotice } from '../../client/src/lessons/upstreamNotice.ts';

const lesson = readLesson('08-real-apis');
const step = lesson.steps.findIndex((s) => s.config.run === 'upstream') + 1;
const key = 'sk-lesson-upstream-SECRET-8';
const presenter = new Presenter('lesson-upstream-presenter');

let upstream: FakeModel;
let withModel: Listening;
let without: Listening;
let browser: Browser;
const errors: string[] = [];

beforeAll(async () => {
  // Another reply than the recording's, so the live run cannot pass for the recording.
  upstream = await fakeModel({ scale: 0.3, reply: 'A live answer from the fake model, not the recording.' });
  [withModel, without, browser] = await Promise.all([
    servePage({ presenter, upstream: { url: `${upstream.url}/v1`, kind: 'openai', key } }),
    servePage(),
    launch(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([withModel?.close(), without?.close(), upstream?.close()]);
});

/** Opens the step, answers its prediction, and waits until its run is over. */
async function openStep(server: Listening): Promise<Page> {
  const page = await openPage(browser, errors);
  await page.goto(`${server.url}/lessons/${lesson.slug}/${step}`);
  await page.locator('.predict .choice').first().click();
  await page.locator('.lesson[data-settled="true"]').waitFor({ timeout: 30_000 });
  return page;
}

const lanesOf = (page: Page) => page.locator('.lane').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.lane));

describe("lesson 8's real-model step", () => {
  it('runs live against the upstream when the server has one: its first model, the upstream leg beside the page’s lane', async () => {
    const before = upstream.requests.length;
    const page = await openStep(withModel);
    try {
      expect(step).toBeGreaterThan(0);
      expect(await lanesOf(page)).toEqual(['upstream', 'openai']);
      // One request went to the model, and the page's lane has its tokens.
      expect(upstream.requests.length - before).toBe(1);
      expect(await replySource(page.locator('.lane[data-lane="openai"]'))).toBe(upstream.tokens.join(''));
      const leg = page.locator('.lane[data-lane="upstream"]');
      await leg.locator('.scroller').press('Home');
      await expect.poll(() => leg.locator('.panel').innerText(), { timeout: 5000 }).toContain('POST /v1/chat/completions');
      expect(await leg.locator('.panel').innerText()).toContain(`"model":"${fakeModelId}"`);
      // Live: no note about a recording; the key never reaches the page.
      expect(await page.locator('.notice').count()).toBe(0);
      expect(await page.content()).not.toContain(key);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('a follower who runs the step itself replays the recording: only the presenter’s page asks the paid model', async () => {
    const before = upstream.requests.length;
    const presenting = await openPage(browser, errors);
    const follower = await openPage(browser, errors);
    try {
      await presenting.goto(`${withModel.url}/present?token=${presenter.token}`);
      await follower.goto(`${withModel.url}/follow?watch=0`);
      await expect.poll(() => follower.locator('.follow-status').innerText()).toContain('Following the presenter');
      await presenting.goto(`${withModel.url}/lessons/${lesson.slug}/${step}?present=1`);
      await presenting.locator('.predict .choice').first().click();
      await presenting.locator('.lesson[data-settled="true"]').waitFor({ timeout: 30_000 });
      await follower.locator('.predict .choice').first().click({ timeout: 10_000 });
      await follower.locator('.lesson[data-settled="true"]').waitFor({ timeout: 30_000 });
      expect(await follower.locator('.notice').innerText()).toBe(followerUpstreamNotice);
      expect(await replySource(follower.locator('.lane[data-lane="openai"]'))).toBe(fakeReply);
      expect(await replySource(presenting.locator('.lane[data-lane="openai"]'))).toBe(upstream.tokens.join(''));
      expect(upstream.requests.length - before).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await Promise.all([presenting.close(), follower.close()]);
    }
  });

  it('replays the recording of the fake upstream without one, and says how to configure a model', async () => {
    const page = await openStep(without);
    try {
      expect(await lanesOf(page)).toEqual(['upstream', 'openai']);
      const notice = await page.locator('.notice').innerText();
      expect(notice).toMatch(/no model behind it/);
      expect(notice).toMatch(/recording .*fake upstream with made-up timing/);
      expect(notice).toContain('ollama serve');
      expect(notice).toContain('STREAMSCOPE_UPSTREAM_URL=http://127.0.0.1:11434/v1 npm start');
      // The recording's tokens: the fake model's default reply, on both legs.
      expect(await replySource(page.locator('.lane[data-lane="openai"]'))).toBe(fakeReply);
      const leg = page.locator('.lane[data-lane="upstream"]');
      await leg.locator('.scroller').press('Home');
      await expect.poll(() => leg.locator('.panel').innerText(), { timeout: 5000 }).toContain('POST /v1/chat/completions');
      // The timeline counts the leg's writes: no code of the page reads tokens there, so "0 tokens" would be wrong.
      await page.keyboard.press('End');
      const rowFigures = (lane: string) => page.locator(`.timeline .row[data-lane="${lane}"] text.figure`).allTextContents();
      await expect.poll(async () => (await rowFigures('upstream')).join(' | '), { timeout: 5000 }).toMatch(/\d+ writes$/);
      expect((await rowFigures('openai')).join(' | ')).toMatch(/\d+ tokens$/);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
