/**
 * What a classroom walkthrough found, checked in Chromium: a lesson reached by its folder name,
 * packets that stay on the wire after a run, and labels drawn over one another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serveLabs, type LabSetup } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';

let lab: LabSetup;
let server: Listening;
let page: Page;

beforeAll(async () => {
  lab = await serveLabs({ retryMs: 200 });
  ({ server, page } = lab);
});
afterAll(() => lab?.close());

describe('a lesson by its folder name', () => {
  it('/lessons/02-chunks/2 shows lesson 2, step 2, at its own address, with nothing to go back to', async () => {
    await page.goto(`${server.url}/lessons/02-chunks/2`);
    await expect.poll(() => page.locator('#step-title').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByText('There is no lesson here').count()).toBe(0);
    expect(await page.locator('.lesson').innerText()).toContain('Step 2 of');
    expect(new URL(page.url()).pathname).toBe('/lessons/chunks/2');
    const entries = await page.evaluate(() => history.length);
    await page.goto(`${server.url}/lessons/02-chunks`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/lessons/chunks/1');
    // Replaced, not pushed: Back does not land on the folder name to be sent forward again.
    expect(await page.evaluate(() => history.length)).toBe(entries + 1);
  });
});
