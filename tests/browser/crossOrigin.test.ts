import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { buildPage, serveLabs, type LabSetup } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';
import type { SecondOrigin } from '../../server/labs/httpFeatures/secondOrigin.ts';

let lab: LabSetup;
let server: Listening;
let second: SecondOrigin;
let page: Page;

beforeAll(async () => {
  lab = await serveLabs();
  ({ server, page } = lab);
  second = await lab.labs.startSecondOrigin(server.port, await buildPage(), '127.0.0.1');
});
afterAll(() => lab?.close());

// The switches are each learner's own: flip them as this browser (its context's cookies), not as a cookieless client.
const put = (path: string, body: object) => page.context().request.put(`${server.url}${path}`, { data: body });

describe('the cross-origin lab, in Chromium', () => {
  it('the main origin shows the two switches', async () => {
    await page.goto(`${server.url}/?lab=cors`);
    await expect.poll(() => page.getByLabel('CORS allows the second origin').count()).toBe(1);
    expect(await page.getByLabel('the lab WebSocket checks Origin').isChecked()).toBe(true);
  });

  it('from the second origin: CORS blocks SSE until allowed; only the Origin check stops the WebSocket', async () => {
    await page.goto(`${second.url}/?lab=cors`);
    const sse = page.getByTestId('sse-result');
    const ws = page.getByTestId('ws-result');

    await page.getByRole('button', { name: 'Try SSE on the main origin' }).click();
    await expect.poll(() => sse.innerText(), { timeout: 10_000 }).toContain('blocked by CORS');
    await put('/api/labs/http/cors', { allowSecondOrigin: true });
    await page.getByRole('button', { name: 'Try SSE on the main origin' }).click();
    await expect.poll(() => sse.innerText(), { timeout: 10_000 }).toContain('allowed');

    await page.getByRole('button', { name: 'Try a WebSocket on the main origin' }).click();
    await expect.poll(() => ws.innerText(), { timeout: 10_000 }).toContain('refused');
    await put('/api/labs/http/ws-origin-check', { enabled: false });
    await page.getByRole('button', { name: 'Try a WebSocket on the main origin' }).click();
    await expect.poll(() => ws.innerText(), { timeout: 10_000 }).toContain('connected from a foreign page');
  });

  it('the switches are this learner’s: another browser on the second origin is still blocked and refused', async () => {
    const other = await lab.browser.newContext();
    try {
      const otherPage = await other.newPage();
      await otherPage.goto(`${second.url}/?lab=cors`);
      await otherPage.getByRole('button', { name: 'Try SSE on the main origin' }).click();
      await expect.poll(() => otherPage.getByTestId('sse-result').innerText(), { timeout: 10_000 }).toContain('blocked by CORS');
      await otherPage.getByRole('button', { name: 'Try a WebSocket on the main origin' }).click();
      await expect.poll(() => otherPage.getByTestId('ws-result').innerText(), { timeout: 10_000 }).toContain('refused');
    } finally {
      await other.close();
    }
  });
});
