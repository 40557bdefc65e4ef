/**
 * Every step shows its evidence: at a projector's 1280x720, in the normal page and in presenter
 * mode, what each step is about (its first highlighted segment, its named header, the timeline,
 * the bubbles or the lab panel) is inside the window once the step has reached it, with nothing
 * drawn over it, and in presenter mode its bytes are large enough to read from the back of a
 * room. A screenshot of every step in presenter mode goes to the test artifacts.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildPage, launch, openPage } from './browser.ts';
import { listenHttps, type ListeningHttps } from '../../server/testing/listenHttps.ts';
import { startLabs, type Labs } from '../../server/labs/labs.ts';
import { lessonFolders, readLesson } from '../../lessons/format/parseLesson.ts';
import { stepState, type Lesson, type StepState } from '../../client/src/lessons/lesson.ts';

const lessons: Lesson[] = lessonFolders().map(readLesson);
/** Where the presenter-mode screenshots go (CI keeps the folder as an artifact). */
const artifacts = path.resolve(import.meta.dirname, '../../.ci/artifacts/steps');

let labs: Labs;
let server: ListeningHttps;
let browser: Browser;
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  labs = await startLabs();
  // The HTTPS port too, for the lanes over HTTP/2 (lessons 9 and 15); Chromium accepts its made
  // certificate as a learner would once.
  [server, browser] = await Promise.all([
    buildPage().then((staticDir) => listenHttps({ ...labs.options, staticDir })),
    launch(['--ignore-certificate-errors']),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await labs?.close();
});

/** The CSS selector of a step's evidence: the first thing of it the room must see. */
function evidence(state: StepState): string {
  const { view, lanes, headers } = state.focus;
  const lane = `.lane[data-lane="${lanes[0]}"]`;
  switch (view) {
    case 'bytes':
      // The segment the view keeps in view: the first of the step's kinds, or the newest.
      return `${lane} .seg.pinned`;
    case 'headers':
      return headers.length ? `${lane} tr.focus` : `${lane} .headers table[data-dir="down"] caption`;
    case 'timeline':
      return '.timeline';
    case 'lab':
      return '.lab';
    case 'bubbles':
      return '.lane .bubble';
  }
}

/** Where the first element matching `selector` is, in the window, and how large its text is. */
async function place(page: Page, selector: string) {
  return page.evaluate((selector) => {
    const el = document.querySelector<HTMLElement>(selector);
    if (!el) return null;
    const box = el.getBoundingClientRect();
    // Clipped by a scrolling ancestor? Then it is not on screen either.
    let clip = { top: 0, bottom: innerHeight, left: 0, right: innerWidth };
    for (let up = el.parentElement; up; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (!/auto|scroll|hidden/.test(style.overflowY + style.overflowX)) continue;
      const r = up.getBoundingClientRect();
      clip = {
        top: Math.max(clip.top, r.top),
        bottom: Math.min(clip.bottom, r.bottom),
        left: Math.max(clip.left, r.left),
        right: Math.min(clip.right, r.right),
      };
    }
    const fontPx = parseFloat(getComputedStyle(el).fontSize) * ((el as HTMLElement & { currentCSSZoom?: number }).currentCSSZoom ?? 1);
    // A segment or a header line must be wholly in view; of a panel (the timeline, a lab, a bubble) its top.
    const whole = el.matches('.seg, tr');
    const top = box.top >= clip.top - 1 && box.top < clip.bottom - 40;
    // Nothing drawn over it (a button floating over the bytes): the middle of its visible part is its own.
    const x = (Math.max(box.left, clip.left) + Math.min(box.right, clip.right)) / 2;
    const y = (Math.max(box.top, clip.top) + Math.min(box.bottom, clip.bottom)) / 2;
    const uncovered = el.contains(document.elementFromPoint(x, y));
    return {
      inView: box.height > 0 && top && (!whole || box.bottom <= clip.bottom + 1) && box.left >= clip.left - 1 && box.left < clip.right && uncovered,
      fontPx,
      box: `${Math.round(box.left)},${Math.round(box.top)} ${Math.round(box.width)}x${Math.round(box.height)}`,
    };
  }, selector);
}

/** Opens one step as a learner would (answering a prediction), and waits for its evidence to be on screen. */
async function checkStep(page: Page, lesson: Lesson, i: number, present: boolean): Promise<void> {
  const state = stepState(lesson, i);
  await page.goto(`${server.url}/lessons/${lesson.slug}/${i + 1}${present ? '?present=1' : ''}`);
  if (state.predict) {
    await page.locator('.predict .choice').first().waitFor();
    await page.keyboard.press('PageDown');
  }
  if (state.run === 'none') return;
  const selector = evidence(state);
  const where = () => place(page, selector);
  // The evidence may come late in the run (the final chunk), so wait for it, then for it to be in view.
  const name = `${String(lesson.number).padStart(2, '0')}-${lesson.slug}-${i + 1}${present ? '' : '-normal'}`;
  try {
    await expect
      .poll(async () => (await where())?.inView ?? false, {
        timeout: 40_000,
        message: `${lesson.slug}/${i + 1}${present ? ' (presenter)' : ''}: ${selector} in view, nothing over it`,
      })
      .toBe(true);
  } catch (error) {
    // What the room would have seen instead, and where the evidence was.
    await page.screenshot({ path: path.join(artifacts, `${name}-failed.png`) });
    throw new Error(`${(error as Error).message} (at ${(await where())?.box ?? 'nowhere'})`);
  }
  if (present && (state.focus.view === 'bytes' || state.focus.view === 'headers')) {
    expect((await where())!.fontPx, `${lesson.slug}/${i + 1}: ${selector} text size`).toBeGreaterThanOrEqual(20);
  }
  if (present) await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

describe('every step brings its evidence into view at 1280x720', () => {
  it.each(lessons.map((l) => [l.slug, l] as const))(
    '%s',
    async (_slug, lesson) => {
      const normal = await openPage(browser, errors);
      const presenter = await openPage(browser, errors);
      try {
        // The two modes side by side: most of a step's time is the reply's own pace.
        const walk = async (page: Page, present: boolean) => {
          for (const i of lesson.steps.keys()) await checkStep(page, lesson, i, present);
        };
        await Promise.all([walk(normal, false), walk(presenter, true)]);
      } finally {
        await normal.close();
        await presenter.close();
      }
    },
    240_000,
  );
});

describe('a step about the end of the stream shows the end', () => {
  it('however it is reached: Next after a step parked earlier, or PageDown', async () => {
    const page = await openPage(browser, errors);
    try {
      await page.goto(`${server.url}/lessons/chunks/2`);
      await page.locator('.lesson[data-settled="true"]').waitFor({ timeout: 30_000 });
      // Step 2 parks the player early in the run; step 3 keeps the run and must show its end.
      await page.keyboard.press('PageDown');
      await expect.poll(() => page.locator('#step-title').innerText()).toContain('The last chunk is empty');
      await expect
        .poll(async () => (await place(page, '.lane[data-lane="sse"] .seg.picked[data-kind="chunk-last"]'))?.inView ?? false, { timeout: 20_000 })
        .toBe(true);
    } finally {
      await page.close();
    }
  });
});

describe('presenter mode switched on mid-step', () => {
  it('keeps the pinned bytes in view when P zooms the lane after they were shown', async () => {
    const page = await openPage(browser, errors);
    try {
      await page.goto(`${server.url}/lessons/chunks/2`);
      await page.locator('.lesson[data-settled="true"]').waitFor({ timeout: 30_000 });
      const pinned = '.lane[data-lane="sse"] .seg.pinned';
      await expect.poll(async () => (await place(page, pinned))?.inView ?? false).toBe(true);
      await page.keyboard.press('p');
      await expect.poll(() => page.url()).toContain('present=1');
      // The lane is zoomed now (bytes at 20 px or more), and the chunk size is still where the room can read it.
      await expect.poll(async () => (await place(page, pinned))?.fontPx ?? 0).toBeGreaterThanOrEqual(20);
      await expect.poll(async () => (await place(page, pinned))?.inView ?? false, { timeout: 10_000 }).toBe(true);
    } finally {
      await page.close();
    }
  });
});
