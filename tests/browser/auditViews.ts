/**
 * The accessibility audit, shared by accessibility.test.ts (light theme) and
 * accessibilityDark.test.ts (dark): axe-core's WCAG 2.1 A and AA rules on every view, before and
 * after a run, report no serious or critical violation, and the colour contrast axe cannot decide
 * is measured from pixels (contrast.ts). axe is injected in a context that
 * bypasses the page's CSP; the CSP itself stays (csp.test.ts checks it). One file per theme
 * keeps each under a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launch, servePage } from './browser.ts';
import { audit, axeContext } from './axe.ts';
import { undecidedContrast } from './contrast.ts';
import type { Listening } from '../../server/testing/listen.ts';
import { startLabs, type Labs } from '../../server/labs/labs.ts';

/** A fast reply: the run is over in about a second. */
const fast = 'tps=1000&ttft=0';

/** Each view, and how to get it after a run (null: the view has no run of its own). */
const views: [name: string, before: string, after: string | null][] = [
  ['studio', '/', `/?${fast}&start=1`],
  ...['lb', 'faults', 'http', 'cors', 'limits', 'h2', 'duplex'].map((lab): [string, string, string] => [
    `lab ${lab}`,
    `/?lab=${lab}`,
    `/?lab=${lab}&${fast}&start=1`,
  ]),
  ['lesson index', '/lessons', null],
  ['lesson step', '/lessons/chunks/3', '/lessons/chunks/3'],
  ['lesson step, presenter mode', '/lessons/chunks/3?present=1', '/lessons/chunks/3?present=1'],
  ['audience view', '/follow', null],
];

/** Waits until the page's run (if any) is over, as its status line says. */
async function runOver(page: Page): Promise<void> {
  await page.waitForFunction(() => /finished|stopped/.test(document.querySelector('[data-testid="run-status"]')?.textContent ?? ''), null, { timeout: 20_000 });
}

/** No serious violation, and none of the contrast axe left undecided falls under the bar. */
async function expectAccessible(page: Page): Promise<void> {
  const found = await audit(page);
  expect(found.serious).toEqual([]);
  expect(await undecidedContrast(page, found.contrastUndecided)).toEqual([]);
}

/** Registers the audit of every view in one theme. */
export function auditViews(theme: 'light' | 'dark'): void {
  let labs: Labs;
  let server: Listening;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    labs = await startLabs();
    [server, browser] = await Promise.all([servePage({ ...labs.options }), launch()]);
    context = await axeContext(browser, { dark: theme === 'dark' });
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await labs?.close();
  });

  describe(`${theme} theme`, () => {
    it.each(views)('%s: no serious or critical violation before and after a run', async (_name, before, after) => {
      await page.goto(`${server.url}${before}`);
      await page.locator('h1').first().waitFor({ state: 'attached' });
      await page.waitForTimeout(300);
      await expectAccessible(page);
      if (after === null) return;
      if (after !== before) await page.goto(`${server.url}${after}`);
      await runOver(page);
      await expectAccessible(page);
    });
  });
}
