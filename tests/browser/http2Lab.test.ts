/**
 * The HTTP/2 lab in Chromium: eight EventSources over HTTP/1.1 (six connect, two wait in the
 * browser, their requests never sent) against the same eight over HTTP/2 on the HTTPS port (one
 * connection, streams 1, 3 … 15, the wire view showing their frames); and what it says when the
 * browser does not trust the certificate, or the server serves no HTTPS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { buildPage, launch, openPage, servePage } from './browser.ts';
import { axeContext, audit } from './axe.ts';
import { listenHttps, type ListeningHttps } from '../../server/testing/listenHttps.ts';

let server: ListeningHttps;
let browser: Browser;
let page: Page;
const errors: string[] = [];
/** Stream requests that reached the server, per port: the ones the browser held back never do. */
const requests = { plain: 0, https: 0 };

beforeAll(async () => {
  [server, browser] = await Promise.all([
    buildPage().then((staticDir) => listenHttps({ staticDir })),
    // As if the learner had accepted the certificate: the made authority is not installed in it.
    launch(['--ignore-certificate-errors']),
  ]);
  // Before Express, which rewrites req.url while it routes.
  server.server.prependListener('request', (req) => {
    if (req.url?.startsWith('/api/stream/sse')) requests.plain++;
  });
  server.https.http.prependListener('request', (req) => {
    if (req.url?.startsWith('/api/stream/sse')) requests.https++;
  });
  page = await openPage(browser, errors);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the HTTP/2 lab, in Chromium', () => {
  let lab: Locator;
  let h1: Locator;
  let h2: Locator;
  const inState = (side: Locator, state: string) => side.locator(`li[data-state="${state}"]`).count();

  it('HTTP/1.1: six open and two waiting, whose requests never reach the server; the tap shows six connections', async () => {
    await page.goto(`${server.url}/?lab=h2`);
    lab = page.getByRole('region', { name: 'HTTP/1.1 against HTTP/2' });
    h1 = lab.getByRole('region', { name: 'HTTP/1.1', exact: true });
    h2 = lab.getByRole('region', { name: 'HTTP/2', exact: true });
    const open = h1.getByRole('button', { name: 'Open 8 over HTTP/1.1' });
    // The HTTPS port is found (and the tap can ride it) before the buttons are on.
    await expect.poll(() => open.isEnabled(), { timeout: 10_000 }).toBe(true);
    await open.focus();
    await page.keyboard.press('Enter');

    await expect.poll(() => inState(h1, 'open'), { timeout: 10_000 }).toBe(6);
    await expect.poll(() => h1.getByTestId('h1-conns').locator('li').count(), { timeout: 10_000 }).toBe(7);
    expect(await inState(h1, 'waiting')).toBe(2);
    expect(requests.plain).toBe(6);
    expect(await h1.getByTestId('h1-sees').innerText()).toBe("6 connections, 2 waiting: the browser's limit per origin over HTTP/1.1");
    const conns = await h1.getByTestId('h1-conns').locator('li').allInnerTexts();
    expect(conns.slice(0, 6).every((c) => /^port \d+: stream [1-6]$/.test(c))).toBe(true);
    // Six different ports: six TCP connections.
    expect(new Set(conns.slice(0, 6).map((c) => c.split(':')[0])).size).toBe(6);
    expect(conns[6]).toBe('Streams 7 and 8: no request has reached the server');
  });

  it('HTTP/2: all eight open over one connection, streams 1, 3 … 15, their frames interleaved in one wire view', async () => {
    await h2.getByRole('button', { name: 'Open 8 over HTTP/2' }).click();
    await expect.poll(() => inState(h2, 'open'), { timeout: 10_000 }).toBe(8);
    await expect.poll(() => h2.getByTestId('h2-conns').innerText(), { timeout: 10_000 }).toMatch(/^port \d+: stream ids 1, 3, 5, 7, 9, 11, 13, 15$/);
    expect(await h2.getByTestId('h2-sees').innerText()).toBe('1 connection, 8 streams: each request a stream of its own, their frames interleaved');
    expect(requests.https).toBe(8);
    // The HTTP/1.1 side still waits: HTTP/2 on another origin took none of its connections.
    expect(await inState(h1, 'waiting')).toBe(2);

    // Each row names its stream and counts its frames, as the dissector read them from the tap.
    await expect
      .poll(
        async () => (await h2.locator('li[data-state="open"] .detail').allInnerTexts()).map((t) => Number(/stream (\d+) · (\d+) frames?/.exec(t)?.[2] ?? 0)),
        {
          timeout: 10_000,
        },
      )
      .toSatisfy((counts: number[]) => counts.length === 8 && counts.every((n) => n >= 3));
    const rowStreams = (await h2.locator('li .detail').allInnerTexts()).map((t) => Number(/stream (\d+)/.exec(t)?.[1]));
    expect(rowStreams.sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9, 11, 13, 15]);

    const wire = lab.getByRole('region', { name: 'The HTTP/2 connection, frame by frame' });
    // The last frames: DATA of several streams, one after another.
    const chips = await wire.getByRole('list').locator('li').allInnerTexts();
    const chipStreams = new Set(chips.filter((c) => c.includes('DATA')).map((c) => Number(c.split(' ').at(-1))));
    expect(chipStreams.size).toBeGreaterThanOrEqual(3);
    // The byte view: frame headers whose stream ids are the eight (and 0, the connection itself).
    const ids = await wire.locator('[data-kind="h2-stream-id"]').evaluateAll((els) => els.map((el) => el.getAttribute('title') ?? ''));
    const seen = new Set(ids.map((t) => Number(/^stream (\d+)/.exec(t)?.[1])));
    expect(seen.size).toBeGreaterThanOrEqual(3);
    for (const id of seen) expect([0, 1, 3, 5, 7, 9, 11, 13, 15]).toContain(id);
    // From the start of the connection (Home): the preface, then the first requests' frames.
    const bytes = wire.getByRole('listbox');
    await bytes.focus();
    await page.keyboard.press('Home');
    await expect.poll(() => wire.locator('[data-kind="h2-preface"]').count()).toBeGreaterThan(0);
  });

  it('Stop all closes all sixteen, and the server lets go of them', async () => {
    await lab.getByRole('button', { name: 'Stop all' }).click();
    expect(await inState(h1, 'closed')).toBe(8);
    expect(await inState(h2, 'closed')).toBe(8);
    await expect.poll(() => server.limiter.open, { timeout: 10_000 }).toBe(0);
    expect(errors).toEqual([]);
  });

  it('has no serious accessibility violation with both sides running, and does not scroll sideways on a phone', async () => {
    const context = await axeContext(browser);
    const audited = await context.newPage();
    try {
      await audited.goto(`${server.url}/?lab=h2`);
      const panel = audited.getByRole('region', { name: 'HTTP/1.1 against HTTP/2' });
      const all = panel.getByRole('button', { name: 'Open all 16' });
      await expect.poll(() => all.isEnabled(), { timeout: 10_000 }).toBe(true);
      await all.click();
      await expect.poll(() => panel.locator('li[data-state="open"]').count(), { timeout: 10_000 }).toBe(14);
      await expect.poll(() => panel.locator('[data-kind="h2-stream-id"]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
      // The HTTP/2 preface wraps after its first CR LF: the wrapped segment is named by its content
      // (the rest spoken, visually hidden), so its escapes match their names.
      expect(await audited.locator('[data-kind="h2-preface"][role="option"]').count()).toBeGreaterThan(0);
      expect((await audit(audited)).serious).toEqual([]);
      await audited.setViewportSize({ width: 390, height: 844 });
      await audited.waitForTimeout(300);
      expect(await audited.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
      await panel.getByRole('button', { name: 'Stop all' }).click();
    } finally {
      await context.close();
    }
  });
});

describe('when the HTTP/2 side cannot run', () => {
  it('says the certificate is not trusted yet and links to the HTTPS page to accept it once (Chromium without the flag)', async () => {
    const strict = await launch();
    try {
      const untrusting = await strict.newPage();
      await untrusting.goto(`${server.url}/?lab=h2`);
      const problem = untrusting.getByTestId('h2-problem');
      await expect.poll(() => problem.count(), { timeout: 10_000 }).toBe(1);
      expect(await problem.innerText()).toMatch(/not trusted/);
      const link = problem.getByRole('link');
      // The same page (the URL carries its settings), on the HTTPS port.
      expect(await link.getAttribute('href')).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${server.httpsPort}/\\?.*lab=h2`));
      expect(await untrusting.getByRole('button', { name: 'Open 8 over HTTP/2' }).isDisabled()).toBe(true);
      // HTTP/1.1 still runs, without the tap (which would ride the HTTPS port).
      expect(await untrusting.getByRole('button', { name: 'Open 8 over HTTP/1.1' }).isEnabled()).toBe(true);
    } finally {
      await strict.close();
    }
  });

  it('says so when the server serves no HTTPS', async () => {
    const plain = await servePage();
    try {
      const offPage = await browser.newPage();
      await offPage.goto(`${plain.url}/?lab=h2`);
      const problem = offPage.getByTestId('h2-problem');
      await expect.poll(() => problem.count(), { timeout: 10_000 }).toBe(1);
      expect(await problem.innerText()).toMatch(/^No HTTP\/2 here: this server serves no HTTPS/);
      expect(await problem.getByRole('link').count()).toBe(0);
      await offPage.close();
    } finally {
      await plain.close();
    }
  });
});
