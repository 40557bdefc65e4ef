/**
 * The lessons in Chromium: every step of every lesson renders with no console error and reaches
 * its configured state; predict-then-see; deep links; presenter keys; an audience that follows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, servePage } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';
import { startLabs, type Labs } from '../../server/labs/labs.ts';
import { lessonFolders, readLesson } from '../../lessons/format/parseLesson.ts';
import { stepState, type Lesson } from '../../client/src/lessons/lesson.ts';
import { Presenter } from '../../server/classroom/presenter.ts';

const lessons: Lesson[] = lessonFolders().map(readLesson);

const presenter = new Presenter('test-presenter-token');
let labs: Labs;
let server: Listening;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  labs = await startLabs();
  [server, browser] = await Promise.all([servePage({ presenter, ...labs.options }), launch()]);
  page = await openPage(browser, errors);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await labs?.close();
});

/**
 * What the labs make happen on purpose, which Chromium reports on the console: the auth lab's 401
 * before login, the faults lab's cut connection, lesson 12's failing model (the buffered lane's 500).
 */
const labNoise = /status of 401 \(Unauthorized\)|ERR_INCOMPLETE_CHUNKED_ENCODING|status of 500 \(Internal Server Error\)/;

const title = () => page.locator('#step-title').innerText();
const shownLanes = () => page.locator('.lane').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.lane));

describe('every lesson, step by step', () => {
  it.each(lessons.map((l) => [l.slug, l] as const))(
    '%s: each step shows its text and its lanes',
    async (slug, lesson) => {
      errors.length = 0;
      await page.goto(`${server.url}/lessons/${slug}/1`);
      for (const [i, step] of lesson.steps.entries()) {
        if (i > 0) await page.keyboard.press('PageDown');
        const state = stepState(lesson, i);
        if (state.predict) {
          // The answer is not on screen before the learner commits: no lanes yet.
          await expect.poll(() => page.locator('.predict .choice').count()).toBe(state.predict.choices.length);
          expect(await page.locator('.lane').count()).toBe(0);
          await page.locator('.predict .choice').first().click();
        }
        await expect.poll(title).toContain(step.title);
        expect(page.url()).toBe(`${server.url}/lessons/${slug}/${i + 1}`);
        if (state.run !== 'none') await expect.poll(shownLanes, { timeout: 10_000 }).toEqual(state.lanes);
        // A lab's panel loads the first time it is shown (`labPanels.ts`).
        if (state.lab) await expect.poll(() => page.locator(`#${state.lab}-title`).count()).toBe(1);
        if (state.tab) {
          await expect.poll(() => page.locator(`.lane [role="tab"][aria-selected="true"]`).first().innerText()).toMatch(new RegExp(state.tab, 'i'));
        }
      }
      expect(errors.filter((e) => !labNoise.test(e))).toEqual([]);
    },
    120_000,
  );
});

describe('a lesson step', () => {
  it('asks for a prediction, runs when answered, then explains', async () => {
    await page.goto(`${server.url}/lessons/why-stream/1`);
    await expect.poll(() => page.locator('.predict .choice').count()).toBe(3);
    expect(await page.locator('.lane').count()).toBe(0);
    await page.locator('.predict .choice', { hasText: 'When the whole reply is written' }).click();
    await expect.poll(shownLanes).toEqual(['sse', 'ws', 'http']);
    const verdict = page.locator('.predict .verdict');
    await expect.poll(() => verdict.innerText()).toContain('Watch the run');
    await expect.poll(() => verdict.innerText(), { timeout: 30_000 }).toContain('Right.');
    expect(await page.locator('.predict .explain').innerText()).toContain('Content-Length');
  });

  it('picks out the step’s kind of bytes: chunk-size lines, and dims the rest', async () => {
    await page.goto(`${server.url}/lessons/chunks/2`);
    await expect.poll(() => page.locator('.lane[data-lane="sse"] .seg.picked[data-kind="chunk-size"]').count(), { timeout: 15_000 }).toBeGreaterThan(2);
    expect(await page.locator('.lane[data-lane="sse"] .seg.picked:not([data-kind="chunk-size"])').count()).toBe(0);
    expect(await page.locator('.lane[data-lane="sse"] .seg.dim[data-kind="sse-field"]').count()).toBeGreaterThan(0);
  });

  it('opens at the step a deep link names, and says where it is', async () => {
    await page.goto(`${server.url}/lessons/chunks/3`);
    await expect.poll(title).toContain('The last chunk is empty');
    expect(await page.locator('.lesson .count').innerText()).toBe('Step 3 of 3');
    await page.keyboard.press('PageUp');
    await expect.poll(title).toContain('Every chunk says its size');
    expect(page.url()).toBe(`${server.url}/lessons/chunks/2`);
    // Moving a step is a navigation: focus goes to the new step's heading.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('step-title');
  });

  it('writes its commands for the origin the page is served on, not localhost:3000', async () => {
    await page.goto(`${server.url}/lessons/why-stream/3`);
    const body = page.locator('.lesson .body');
    await expect.poll(() => body.innerText().catch(() => '')).toContain(`curl -N "${server.url}/api/stream/sse?`);
    expect(await body.innerText()).not.toContain('localhost:3000');
  });

  it('shows progress on the lesson index', async () => {
    await page.goto(`${server.url}/lessons`);
    const chunks = page.locator('.card', { hasText: 'One response, many chunks' });
    await expect.poll(() => chunks.innerText()).toContain('✓ done');
  });
});

describe('a lab that does not run here', () => {
  it('is replaced by the recording shipped with the lesson', async () => {
    // The same page from a server with no labs: the load balancer is not there.
    const bare = await servePage();
    try {
      await page.goto(`${bare.url}/lessons/scaling/2`);
      await page.locator('.predict .choice').nth(1).click();
      await expect
        .poll(
          () =>
            page
              .locator('.notice')
              .innerText()
              .catch(() => ''),
          { timeout: 10_000 },
        )
        .toContain('recording shipped with the lesson');
      expect(await shownLanes()).toEqual(['lb-sse', 'lb-ws']);
      // The recorded run: the SSE reply resumed on another instance, whole; the WebSocket died.
      const sse = page.locator('.lane[data-lane="lb-sse"]');
      await expect.poll(() => sse.locator('.bubble').getAttribute('data-status')).toBe('done');
      expect(await sse.innerText()).toMatch(/served by instance \w → \w/);
      expect(await page.locator('.lane[data-lane="lb-ws"]').innerText()).toContain('1006');
    } finally {
      await bare.close();
    }
  });
});

describe('presenter mode', () => {
  it('is large type and no chrome; a clicker’s keys reveal, move, blank and leave', async () => {
    await page.goto(`${server.url}/lessons/why-stream/1?present=1`);
    await expect.poll(title).toContain('Same reply, three ways');
    expect(await page.locator('header').count()).toBe(0);
    expect(await page.locator('.lesson.present').count()).toBe(1);
    // The lead only: the step's further paragraphs stay off the screen.
    expect(await page.locator('.lesson .body').count()).toBe(0);

    // First PageDown reveals the prediction's run, the second moves on.
    await page.keyboard.press('PageDown');
    await expect.poll(shownLanes).toEqual(['sse', 'ws', 'http']);
    await page.keyboard.press('PageDown');
    await expect.poll(title).toContain('Time to first token');
    expect(page.url()).toBe(`${server.url}/lessons/why-stream/2?present=1`);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(title).toContain('Same reply, three ways');
    await page.keyboard.press('ArrowRight');
    await expect.poll(title).toContain('Time to first token');

    await page.keyboard.press('b');
    await expect.poll(() => page.locator('.blank').count()).toBe(1);
    await page.keyboard.press('b');
    await expect.poll(() => page.locator('.blank').count()).toBe(0);

    await page.keyboard.press('p');
    await expect.poll(() => page.locator('header').count()).toBe(1);
    expect(page.url()).toBe(`${server.url}/lessons/why-stream/2`);
  });

  it('moves the audience: a follower’s page follows the presenter’s steps, live', async () => {
    const audienceErrors: string[] = [];
    const audience = await openPage(browser, audienceErrors);
    try {
      await audience.goto(`${server.url}/follow`);
      await expect.poll(() => audience.locator('.follow-status').innerText()).toContain('Following the presenter');
      // Before the presenter has moved, the page says what it is and what comes.
      expect(await audience.locator('.waiting').innerText()).toContain('This page follows the presenter');

      // The presenter's browser gets its cookie from the URL the terminal prints.
      const presenterErrors: string[] = [];
      const presenting = await openPage(browser, presenterErrors);
      await presenting.goto(`${server.url}/present?token=${presenter.token}`);
      expect(presenting.url()).toBe(`${server.url}/lessons`);
      await presenting.goto(`${server.url}/lessons/chunks/2?present=1`);
      await expect
        .poll(
          () =>
            audience
              .locator('#step-title')
              .innerText()
              .catch(() => ''),
          { timeout: 10_000 },
        )
        .toContain('Every chunk says its size');
      await presenting.keyboard.press('PageDown');
      await expect.poll(() => audience.locator('#step-title').innerText()).toContain('The last chunk is empty');
      await presenting.keyboard.press('b');
      await expect.poll(() => audience.locator('.blank').count()).toBe(1);
      await presenting.keyboard.press('b');
      await expect.poll(() => audience.locator('.blank').count()).toBe(0);

      // A student's page in presenter mode moves nobody: it has no token.
      await page.goto(`${server.url}/lessons/why-stream/2?present=1`);
      await expect.poll(title).toContain('Time to first token');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await audience.locator('#step-title').innerText()).toContain('The last chunk is empty');
      await expect.poll(() => audience.locator('.lane').count(), { timeout: 10_000 }).toBeGreaterThan(0);
      expect(audienceErrors).toEqual([]);
      expect(presenterErrors).toEqual([]);
      await presenting.close();
    } finally {
      await audience.close();
    }
  });
});
