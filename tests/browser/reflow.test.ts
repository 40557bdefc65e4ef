/**
 * Reflow (WCAG 1.4.10) in Chromium: on a 390×844 phone, at 320 px, and at 1280×720 zoomed to 200%
 * (a 640×360 CSS viewport at device scale 2), no page scrolls sideways, the lanes stack in one
 * column, and labels (figures, tabs, the header's controls, the playback bar) do not overlap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launch, servePage } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';
import { startLabs, type Labs } from '../../server/labs/labs.ts';
import { Presenter } from '../../server/classroom/presenter.ts';

const presenter = new Presenter('reflow-presenter-token');

let labs: Labs;
let server: Listening;
let browser: Browser;

beforeAll(async () => {
  labs = await startLabs();
  [server, browser] = await Promise.all([servePage({ presenter, ...labs.options }), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await labs?.close();
});

const views = [
  '/',
  '/?lab=lb',
  '/?lab=faults',
  '/?lab=http',
  '/?lab=cors',
  '/?lab=limits',
  '/?lab=h2',
  '/?lab=duplex',
  '/lessons',
  '/lessons/chunks/3',
  '/lessons/chunks/3?present=1',
  '/follow',
];

/** Containers whose labelled children must not overlap one another. */
const groups: [container: string, children: string][] = [
  ['.lane .figures', ':scope > div'],
  ['.lane .tabs', '[role="tab"]'],
  ['header .brand', ':scope > *'],
  ['.controls', 'label, button'],
  ['.playback .bar', ':scope > *'],
  ['.lesson .nav', ':scope > *'],
];

/** Pairs of labels in one group whose boxes overlap by more than a pixel, described. */
function overlaps(page: Page): Promise<string[]> {
  return page.evaluate((groups) => {
    const out: string[] = [];
    const name = (el: Element) => `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 30)}"`;
    for (const [container, children] of groups) {
      for (const box of document.querySelectorAll(container)) {
        const rects = [...box.querySelectorAll(children)].map((el) => [el, el.getBoundingClientRect()] as const).filter(([, r]) => r.width > 1 && r.height > 1);
        for (let i = 0; i < rects.length; i++) {
          for (let j = i + 1; j < rects.length; j++) {
            const [a, ra] = rects[i]!;
            const [b, rb] = rects[j]!;
            if (a.contains(b) || b.contains(a)) continue;
            const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
            const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
            if (x > 1 && y > 1) out.push(`${container}: ${name(a)} overlaps ${name(b)}`);
          }
        }
      }
    }
    return out;
  }, groups);
}

/** How far the page scrolls sideways, in CSS pixels. */
const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** The elements reaching furthest past the right edge, for a failure's message. */
const widest = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .map((el) => [el, el.getBoundingClientRect().right] as const)
      .filter(([, right]) => right > document.documentElement.clientWidth + 0.5)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([el, right]) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} to ${Math.round(right)}`)
      .join(', '),
  );

const sizes: [name: string, width: number, height: number, scale: number][] = [
  ['a 390×844 phone', 390, 844, 3],
  ['1280×720 at 200% zoom', 640, 360, 2],
  ['320 px wide', 320, 640, 2],
];

describe.each(sizes)('%s', (_name, width, height, deviceScaleFactor) => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor });
    page = await context.newPage();
  });
  afterAll(() => context?.close());

  it('no view scrolls sideways or overlaps its labels', async () => {
    for (const view of views) {
      await page.goto(`${server.url}${view}`);
      await page.locator('h1').first().waitFor({ state: 'attached' });
      await page.waitForTimeout(250);
      expect.soft(await sideways(page), `${view}: ${await widest(page)}`).toBeLessThanOrEqual(0);
      expect.soft(await overlaps(page), view).toEqual([]);
    }
  });

  it('after a run: the lanes stack in one column, with no sideways scroll or overlap', async () => {
    await page.goto(`${server.url}/?tps=1000&ttft=0&start=1`);
    await page.waitForFunction(() => /finished/.test(document.querySelector('[data-testid="run-status"]')?.textContent ?? ''), null, { timeout: 20_000 });
    const lefts = await page.locator('.lane').evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().left)));
    expect(lefts.length).toBe(3);
    expect(new Set(lefts).size).toBe(1);
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    expect(await overlaps(page)).toEqual([]);
    // Hex and Headers on a stacked lane fit too.
    for (const tab of ['Hex', 'Headers']) {
      await page.locator('.lane[data-lane="sse"]').getByRole('tab', { name: tab }).click();
      expect(await sideways(page), tab).toBeLessThanOrEqual(0);
    }
  });
});

describe('/follow on a phone', () => {
  it('shows the step’s title and lead first, then its evidence, with no sideways scroll', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3 });
    const desk = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const audience = await phone.newPage();
      await audience.goto(`${server.url}/follow`);
      await expect.poll(() => audience.locator('.follow-status').innerText()).toContain('Following the presenter');
      const presenting = await desk.newPage();
      await presenting.goto(`${server.url}/present?token=${presenter.token}`);
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
      await expect.poll(() => audience.locator('.lane').count(), { timeout: 10_000 }).toBeGreaterThan(0);
      const box = (selector: string) =>
        audience
          .locator(selector)
          .first()
          .evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
      const [title, lead, evidence] = await Promise.all([box('#step-title'), box('.lesson .lead'), box('.lane')]);
      expect(title.top).toBeLessThan(lead.top);
      expect(lead.bottom).toBeLessThanOrEqual(evidence.top);
      // The lead is on the first screen, and the evidence starts on it.
      expect(lead.bottom).toBeLessThan(844);
      expect(evidence.top).toBeLessThan(844);
      expect(await sideways(audience)).toBeLessThanOrEqual(0);
    } finally {
      await phone.close();
      await desk.close();
    }
  });
});

describe('at 1280×720', () => {
  it('the lanes sit side by side; small controls are 24×24 px targets', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/?tps=1000&ttft=0&start=1`);
      await page.waitForFunction(() => /finished/.test(document.querySelector('[data-testid="run-status"]')?.textContent ?? ''), null, { timeout: 20_000 });
      const tops = await page.locator('.lane').evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().top)));
      expect(new Set(tops).size).toBe(1);
      expect(await overlaps(page)).toEqual([]);
      // Small controls are targets of at least 24×24 px (WCAG 2.5.8).
      const small = await page
        .locator('input[type="checkbox"], .playback select, .playback input[type="range"], .controls select')
        .evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).filter((r) => r.width < 24 || r.height < 24).length);
      expect(small).toBe(0);
    } finally {
      await context.close();
    }
  });
});
