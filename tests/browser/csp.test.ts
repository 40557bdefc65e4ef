/**
 * The page under its own Content-Security-Policy, in Chromium: a race on every default lane and
 * each lab's panel run without a single violation (the browser reports each one as a
 * `securitypolicyviolation` event and a console error).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serveLabs, type LabSetup } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';
import { contentSecurityPolicy } from '../../server/classroom/contentSecurityPolicy.ts';

let lab: LabSetup;
let server: Listening;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  lab = await serveLabs({}, errors);
  ({ server, page } = lab);
  // Installed before any of the page's own scripts run, on every navigation.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`),
    );
  });
});
afterAll(() => lab?.close());

const violations = (): Promise<string[]> => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);

describe('the Content-Security-Policy, in Chromium', () => {
  it('comes with the page', async () => {
    const response = await page.goto(`${server.url}/`);
    expect(response?.headers()['content-security-policy']).toBe(contentSecurityPolicy);
  });

  it('a whole race runs without a violation', async () => {
    await page.goto(`${server.url}/?tps=200&ttft=0&start=1`);
    const bubbles = page.locator('.lane .bubble');
    await expect.poll(() => bubbles.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    await expect
      .poll(async () => (await bubbles.evaluateAll((all) => all.map((b) => b.getAttribute('data-status')))).every((s) => s === 'done'), { timeout: 20_000 })
      .toBe(true);
    // Bytes reached the wire views: the tap stream (EventSource) and the WebSocket lane were allowed.
    await expect.poll(() => page.locator('.lane .panel').first().innerText()).toContain('HTTP/1.1 200');
    expect(await violations()).toEqual([]);
    expect(errors).toEqual([]);
  });

  /** Per lab: what shows once its panel has fetched or streamed its state (so any blocked request has happened). */
  const labs: [string, (page: Page) => Promise<unknown>][] = [
    ['lb', (p) => p.locator('[data-instance="a"]').waitFor()],
    ['cors', (p) => p.getByLabel('CORS allows the second origin').waitFor()],
    [
      'http',
      async (p) => {
        await p.getByRole('button', { name: /Log in/ }).click();
        await p.getByRole('button', { name: 'Log out' }).waitFor();
      },
    ],
    ['faults', (p) => p.locator('#faults-title').waitFor()],
  ];
  it.each(labs)('the %s lab panel loads without a violation', async (name, ready) => {
    await page.goto(`${server.url}/?lab=${name}`);
    await ready(page);
    expect(await violations()).toEqual([]);
    expect(errors).toEqual([]);
  });
});
