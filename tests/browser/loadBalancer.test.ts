import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serveLabs, type LabSetup } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';

const text = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');

let lab: LabSetup;
let server: Listening;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  lab = await serveLabs({}, errors);
  ({ server, page } = lab);
});
afterAll(() => lab?.close());

const lane = (id: string) => page.locator(`.lane[data-lane="${id}"]`);

describe('the load-balancer lab, in Chromium', () => {
  it('kills the instances the lanes are on: SSE resumes on another with nothing lost, the WebSocket dies', async () => {
    await page.goto(`${server.url}/?lab=lb&text=${encodeURIComponent(text)}&tps=10&ttft=0&jitter=0`);
    await page.getByRole('button', { name: 'Race through the balancer' }).click();
    await expect.poll(() => lane('lb-sse').locator('[data-token]').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const sseOn = (await lane('lb-sse').getByTestId('instances').innerText()).split(' ').at(-1)!;
    const wsOn = (await lane('lb-ws').getByTestId('instances').innerText()).split(' ').at(-1)!;
    for (const id of new Set([sseOn, wsOn])) await page.getByRole('button', { name: `Kill ${id}` }).click();

    await expect.poll(() => lane('lb-sse').locator('.bubble').getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    expect(
      await lane('lb-sse')
        .getByTestId('reply')
        .evaluate((el) => el.textContent),
    ).toBe(text);
    const served = (await lane('lb-sse').getByTestId('instances').innerText()).replace('served by instance ', '').split(' → ');
    expect(served[0]).toBe(sseOn);
    expect(served.at(-1)).not.toBe(sseOn);
    // The SSE lane came back: its note says so in the past tense, not as an alarm.
    expect(await lane('lb-sse').locator('.lane-note').innerText()).toMatch(/reconnected/);
    expect(await lane('lb-sse').locator('.lane-note.broken').count()).toBe(0);

    await expect.poll(() => lane('lb-ws').locator('.bubble').getAttribute('data-status'), { timeout: 10_000 }).toBe('error');
    expect(await lane('lb-ws').innerText()).toContain('closed with code 1006');
    // The WebSocket lane stays broken, and its note says so.
    expect(await lane('lb-ws').locator('.lane-note.broken').innerText()).toContain('closed with code 1006');
    await expect.poll(() => page.locator(`[data-instance="${sseOn}"]`).innerText()).toContain('down');
  });

  it('with a sampled model, the Log switch decides whether a resume on another instance shows a seam or reads on from the shared log', async () => {
    const raceAndKill = async () => {
      await page.getByRole('button', { name: 'Race through the balancer' }).click();
      // The new run's lane: one instance so far, and a few tokens in.
      await expect.poll(() => lane('lb-sse').getByTestId('instances').innerText(), { timeout: 10_000 }).toMatch(/^served by instance \w$/);
      await expect.poll(() => lane('lb-sse').locator('[data-token]').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
      const on = (await lane('lb-sse').getByTestId('instances').innerText()).split(' ').at(-1)!;
      await page.getByRole('button', { name: `Kill ${on}` }).click();
      await expect.poll(() => lane('lb-sse').locator('.bubble').getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
      await page.getByRole('button', { name: `Revive ${on}` }).click();
    };
    await page.goto(`${server.url}/?lab=lb&lanes=lb-sse&prompt=what-is-sse&tps=10&ttft=0&jitter=0`);
    // The test before left two instances down for this browser.
    await page.evaluate(() => Promise.all(['a', 'b', 'c'].map((id) => fetch(`/api/labs/lb/instances/${id}/revive`, { method: 'POST' }))));
    await page.getByRole('radio', { name: 'Sampled' }).check();
    await page.getByRole('radio', { name: 'Each instance its own' }).check();
    await raceAndKill();
    const seam = lane('lb-sse').getByTestId('reply-note');
    await expect.poll(() => seam.innerText()).toMatch(/^the reply changed when it resumed \(…\w+ → …\w+\)/);
    expect(await seam.evaluate((el) => el.classList.contains('seam'))).toBe(true);

    await page.getByRole('radio', { name: 'Shared (in memory)' }).check();
    await expect.poll(() => page.getByRole('radio', { name: 'Shared (in memory)' }).isChecked()).toBe(true);
    await raceAndKill();
    await expect.poll(() => lane('lb-sse').getByTestId('reply-note').innerText()).toMatch(/^the same reply on all 2 connections/);
    // Back to the lab's defaults for the next test.
    await page.getByRole('radio', { name: 'Deterministic' }).check();
    await page.getByRole('radio', { name: 'Each instance its own' }).check();
  });

  it('simulates clients coming and going: the revived instance stays nearly empty with sticky sessions, refills with round robin', async () => {
    await page.getByText('Sticky sessions when clients come and go').click();
    await page.getByRole('button', { name: 'Simulate clients coming and going' }).click();
    const sticky = page.locator('figure[data-mode="sticky"]');
    const roundRobin = page.locator('figure[data-mode="round-robin"]');
    // Live counts per instance, in both modes.
    for (const figure of [sticky, roundRobin]) {
      await expect.poll(() => figure.locator('[data-instance]').count()).toBe(3);
      expect(Number(await figure.locator('[data-instance="b"]').getAttribute('data-open'))).toBeGreaterThanOrEqual(0);
    }
    await page.getByRole('button', { name: 'Skip to the end' }).click();
    const share = async (mode: string) => Number(/carried (\d+)%/.exec(await page.getByTestId(`share-${mode}`).innerText())?.[1]);
    expect(await share('sticky')).toBeLessThan(15);
    expect(await share('round-robin')).toBeGreaterThan(28);
    // At the end, sticky instance a has fewer clients pinned than b and c.
    const pinned = async (id: string) => Number(/(\d+) pinned/.exec(await sticky.locator(`[data-instance="${id}"]`).innerText())?.[1]);
    expect(await pinned('a')).toBeLessThan(Math.min(await pinned('b'), await pinned('c')));
    expect(await sticky.locator('svg.chart path').count()).toBe(3);
  });

  it('logged no console errors but the expected failed connections', () => {
    expect(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION|WebSocket/.test(e))).toEqual([]);
  });
});
