import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { launch, openPage, servePage } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';

let server: Listening;
let browser: Browser;
let page: Page;
const errors: string[] = [];
/** Stream requests that reached the server: the ones the browser held back never do. */
let requests = 0;

beforeAll(async () => {
  [server, browser] = await Promise.all([servePage(), launch()]);
  // Before Express, which rewrites req.url while it routes.
  server.server.prependListener('request', (req) => {
    if (req.url?.startsWith('/api/stream/sse')) requests++;
  });
  page = await openPage(browser, errors);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the connection-limit lab, in Chromium (HTTP/1.1)', () => {
  let lab: Locator;
  const inState = (state: string) => lab.locator(`li[data-state="${state}"]`).count();
  /** The fewest tokens any open stream has received. */
  const fewestTokens = async () =>
    Math.min(...(await lab.locator('li[data-state="open"] .detail').allInnerTexts()).map((t) => Number(/(\d+) tokens/.exec(t)?.[1])));

  it('opens 6 of 8 EventSources; the other 2 wait in the browser, their requests never sent', async () => {
    await page.goto(`${server.url}/?lab=limits`);
    lab = page.getByRole('region', { name: 'Connections per origin' });
    // From the keyboard, as a presenter would.
    await lab.getByRole('button', { name: 'Open 8 streams' }).focus();
    await page.keyboard.press('Enter');

    await expect.poll(() => inState('open'), { timeout: 10_000 }).toBe(6);
    // Let the six stream a few tokens: the two still wait, and the server has seen six requests.
    await expect.poll(fewestTokens, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect(await inState('waiting')).toBe(2);
    expect(requests).toBe(6);
    expect(await lab.getByRole('status').innerText()).toBe('6 open, 2 waiting');
    expect(await lab.locator('li[data-state="waiting"] .detail').first().innerText()).toMatch(/^no connection yet/);
  });

  it('closing one stream frees its connection: a waiting stream opens at once', async () => {
    const first = lab.locator('li[data-state="open"]').first();
    const name = await first.locator('.name').innerText();
    await lab.getByRole('button', { name: `Close ${name.toLowerCase()}` }).click();

    await expect.poll(() => inState('waiting'), { timeout: 10_000 }).toBe(1);
    expect(await inState('open')).toBe(6);
    expect(await inState('closed')).toBe(1);
    expect(requests).toBe(7);
    expect(await lab.locator('li', { hasText: name }).getAttribute('data-state')).toBe('closed');
  });

  it('Stop all closes every stream, and the server lets go of them', async () => {
    await lab.getByRole('button', { name: 'Stop all' }).click();
    expect(await inState('closed')).toBe(8);
    await expect.poll(() => server.limiter.open, { timeout: 10_000 }).toBe(0);
  });

  it('stops a running race first, since its streams and its tap hold connections of the same six', async () => {
    await page.goto(`${server.url}/?lab=limits&lanes=sse,openai&prompt=on-the-wire&tps=2&ttft=0&start=1`);
    lab = page.getByRole('region', { name: 'Connections per origin' });
    await expect.poll(() => page.locator('.lane[data-lane="sse"] .bubble').getAttribute('data-status'), { timeout: 10_000 }).toBe('streaming');
    await lab.getByRole('button', { name: 'Open 8 streams' }).click();
    await expect.poll(() => inState('open'), { timeout: 10_000 }).toBe(6);
    expect(await inState('waiting')).toBe(2);
    // The race is over: Start is back where Stop was.
    expect(await page.getByRole('button', { name: '▶ Start', exact: true }).count()).toBe(1);
    await lab.getByRole('button', { name: 'Stop all' }).click();
    await expect.poll(() => server.limiter.open, { timeout: 10_000 }).toBe(0);
    expect(errors).toEqual([]);
  });
});
