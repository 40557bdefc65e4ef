import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serveLabs, type LabSetup } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';

let lab: LabSetup;
let server: Listening;
let page: Page;

beforeAll(async () => {
  lab = await serveLabs();
  ({ server, page } = lab);
});
afterAll(() => lab?.close());

const lane = (id: string) => page.locator(`.lane[data-lane="${id}"]`);
const logRows = () => page.getByRole('table', { name: 'Access log' }).locator('tbody tr');

describe('the HTTP features lab, in Chromium', () => {
  it('puts SSE behind auth middleware and in the access log; the WebSocket logs only its handshake', async () => {
    await page.goto(`${server.url}/?lab=http&prompt=what-is-sse&tps=100&ttft=0`);
    const race = page.getByRole('button', { name: 'Race SSE behind auth, WebSocket, cacheable' });

    await race.click();
    await expect.poll(() => lane('auth-sse').locator('.bubble').getAttribute('data-status'), { timeout: 10_000 }).toBe('error');
    await expect.poll(() => logRows().filter({ hasText: '401' }).count()).toBe(1);

    await page.getByRole('button', { name: /Log in/ }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Log out' }).count()).toBe(1);
    await race.click();
    for (const id of ['auth-sse', 'ws']) await expect.poll(() => lane(id).locator('.bubble').getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
    const sseLine = logRows().filter({ hasText: '200' }).filter({ hasText: 'sse' });
    await expect.poll(() => sseLine.count()).toBe(1);
    expect(await sseLine.innerText()).toContain('cookie');
    // Two races, two handshakes: one line each, and nothing for the dozens of messages after them.
    expect(await logRows().filter({ hasText: '/api/stream/ws' }).count()).toBe(2);

    // The cacheable reply, fetched again: the browser revalidates and the server answers 304.
    await expect.poll(() => lane('cached-http').locator('.bubble').getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
    await lane('cached-http').getByRole('tab', { name: 'Headers' }).click();
    await expect.poll(() => lane('cached-http').locator('.panel').innerText()).toContain('304');
    expect(await lane('cached-http').locator('.panel').innerText()).toContain('If-None-Match');
  });
});
