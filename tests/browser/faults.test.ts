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

const lane = (id: string) => page.locator(`.lane[data-lane="${id}"]`);

describe('the faults lab, in Chromium', () => {
  it('races healthy SSE against a dropped connection and a buffering proxy', async () => {
    await page.goto(`${server.url}/?lab=faults&prompt=what-is-sse&tps=15&ttft=0&jitter=0`);
    await page.getByRole('button', { name: 'Race healthy vs faulty' }).click();
    // Part-way through, the proxied lane has shown nothing: the proxy holds the body.
    await expect.poll(() => lane('sse').locator('[data-token]').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(10);
    expect(await lane('proxy-sse').getByTestId('reply').count()).toBe(0);

    for (const id of ['sse', 'drop-sse', 'proxy-sse']) {
      await expect.poll(() => lane(id).locator('.bubble').getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    }
    const healthy = await lane('sse').getByTestId('reply').evaluate((el) => el.textContent);
    // Cut after 15 tokens, EventSource came back with Last-Event-ID: the reply is whole, on two connections.
    expect(await lane('drop-sse').getByTestId('reply').evaluate((el) => el.textContent)).toBe(healthy);
    await lane('drop-sse').getByRole('tab', { name: 'Headers' }).click();
    expect(await lane('drop-sse').locator('.panel').innerText()).toContain('Last-Event-ID');
    expect(await lane('proxy-sse').getByTestId('reply').evaluate((el) => el.textContent)).toBe(healthy);
  });
});
