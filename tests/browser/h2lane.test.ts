/**
 * The "SSE over HTTP/2" lane in Chromium, beside the HTTP/1.1 lane, the page on plain HTTP and
 * its streams on the HTTPS port: the same reply in both, HEADERS, DATA frames and END_STREAM where
 * the other lane has a status line, chunk sizes and the final `0`; the network view shows the same
 * connection as TLS records. Chromium accepts the made certificate (as a learner would once);
 * a second Chromium that does not shows the lane's message and the link to accept it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildPage, launch, openPage } from './browser.ts';
import { listenHttps, type ListeningHttps } from '../../server/testing/listenHttps.ts';

let server: ListeningHttps;
let trusting: Browser;
let untrusting: Browser;
const errors: string[] = [];
const text = 'Frames instead of chunks, one reply twice';

beforeAll(async () => {
  [server, trusting, untrusting] = await Promise.all([
    buildPage().then((staticDir) => listenHttps({ staticDir })),
    launch(['--ignore-certificate-errors']),
    launch(),
  ]);
});
afterAll(async () => {
  await Promise.all([trusting?.close(), untrusting?.close()]);
  await server?.close();
});

const race = `/?text=${encodeURIComponent(text)}&tps=100&ttft=0&jitter=0&lanes=sse,sse-h2`;

async function runRace(page: Page): Promise<void> {
  await page.goto(`${server.url}${race}`);
  await page.getByRole('button', { name: '▶ Start' }).click();
  await expect.poll(() => page.locator('.lane[data-lane="sse"] .bubble').getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
}

describe('the HTTP/2 lane, certificate accepted', () => {
  let page: Page;
  afterAll(() => page?.close());

  const lane = (id: string) => page.locator(`.lane[data-lane="${id}"]`);
  const wire = (id: string) => lane(id).locator('.panel');

  it('streams the same reply as the HTTP/1.1 lane', async () => {
    page = await openPage(trusting, errors);
    // Tall enough that a connection's start (preface, SETTINGS, both HEADERS) is on screen at once.
    await page.setViewportSize({ width: 1280, height: 1600 });
    await runRace(page);
    await expect.poll(() => lane('sse-h2').locator('.bubble').getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
    for (const id of ['sse', 'sse-h2'])
      expect(
        await lane(id)
          .locator('[data-testid="reply"]')
          .evaluate((el) => el.textContent),
      ).toBe(text);
    await expect.poll(() => lane('sse-h2').locator('[data-figure="tokens"]').innerText()).toBe(await lane('sse').locator('[data-figure="tokens"]').innerText());
  });

  it('shows HEADERS with :status and no Transfer-Encoding where HTTP/1.1 has its status line', async () => {
    await lane('sse-h2').locator('.scroller').press('Home');
    await expect.poll(() => wire('sse-h2').innerText(), { timeout: 5000 }).toContain(':status: 200');
    const h2 = await wire('sse-h2').innerText();
    expect(h2).toContain('HTTP/2 preface');
    expect(h2).toContain('SETTINGS');
    expect(h2).toContain('HEADERS');
    expect(h2).toContain('content-type: text/event-stream');
    expect(h2).toContain('HTTP/2 over TLS');
    expect(h2.toLowerCase()).not.toContain('transfer-encoding');
    await lane('sse').locator('.scroller').press('Home');
    await expect.poll(() => wire('sse').innerText(), { timeout: 5000 }).toContain('HTTP/1.1 200 OK');
    expect(await wire('sse').innerText()).toContain('Transfer-Encoding: chunked');
  });

  it('shows DATA frames and END_STREAM where HTTP/1.1 has chunk sizes and the final 0', async () => {
    await lane('sse-h2').locator('.scroller').press('End');
    // The last frame, an empty DATA flagged END_STREAM, comes after the done event: wait for it, pressing End again as rows arrive.
    const ended = (text: string) => text.split('\n').some((row) => row.startsWith('↓') && /DATA.*END_STREAM/.test(row));
    await expect
      .poll(
        async () => {
          await lane('sse-h2').locator('.scroller').press('End');
          return ended(await wire('sse-h2').innerText());
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    const h2 = await wire('sse-h2').innerText();
    expect(h2).toContain('event: done');
    // The page closed its EventSource after the stream ended, so it reset nothing.
    expect(h2).not.toContain('RST_STREAM');
    // A DATA frame's header, drawn as hex: its length, type DATA (the byte 00), and the stream.
    expect(h2).toMatch(/len \d+00DATA/);
    expect(h2).toMatch(/stream [1-9]\d*/);
    expect(await wire('sse-h2').locator('[data-kind="h2-type"]').count()).toBeGreaterThan(3);
    expect(await wire('sse-h2').locator('[data-kind="chunk-size"]').count()).toBe(0);
    await lane('sse').locator('.scroller').press('End');
    await expect.poll(() => wire('sse').innerText(), { timeout: 5000 }).toContain('last chunk');
    expect(await wire('sse').innerText()).toMatch(/size 0x[0-9a-f]+=/);
  });

  it('the network view shows the same connection as TLS records, and back', async () => {
    const toggle = lane('sse-h2').getByRole('checkbox', { name: 'Network view: TLS records' });
    // Keyboard reachable, and a 24x24 target.
    await toggle.focus();
    await page.keyboard.press('Space');
    expect(await toggle.isChecked()).toBe(true);
    const box = await toggle.boundingBox();
    expect(box!.width).toBeGreaterThanOrEqual(24);
    expect(box!.height).toBeGreaterThanOrEqual(24);
    await lane('sse-h2').locator('.scroller').press('Home');
    await expect.poll(() => wire('sse-h2').innerText(), { timeout: 5000 }).toContain('TLS records (the network view)');
    const start = await wire('sse-h2').innerText();
    expect(start).toMatch(/record 1: handshake/);
    expect(start).toMatch(/ClientHello|ServerHello/);
    await lane('sse-h2').locator('.scroller').press('End');
    await expect.poll(() => wire('sse-h2').innerText(), { timeout: 5000 }).toMatch(/app data/);
    const end = await wire('sse-h2').innerText();
    expect(end).toMatch(/encrypted, \d+ bytes/);
    expect(end).not.toContain('event: token');
    expect(await wire('sse-h2').locator('[data-kind="tls-encrypted"]').count()).toBeGreaterThan(3);
    // Above the bytes, what an eavesdropper sees: the sizes of the server's last records, the last of them the one just shown.
    const sizes = await lane('sse-h2').getByTestId('record-sizes').innerText();
    expect(sizes).toMatch(/The server's last \d+ records, encrypted bytes: \d+( · \d+)+ \(\d+ different sizes\)/);
    const lastShown = [...end.matchAll(/encrypted, (\d+) bytes/g)].filter((m) => m.index! > end.lastIndexOf('↑')).at(-1)?.[1];
    if (lastShown) expect(sizes.split(' (')[0]!.endsWith(lastShown)).toBe(true);
    // The plain lane has no TLS: no toggle.
    expect(
      await lane('sse')
        .getByRole('checkbox', { name: /Network view/ })
        .count(),
    ).toBe(0);
    await page.keyboard.press('Tab');
    await toggle.uncheck();
    await expect.poll(() => wire('sse-h2').locator('[data-kind="h2-type"]').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});

describe('the HTTP/2 lane, certificate not trusted', () => {
  it('says so, links to the HTTPS page to accept it once, and the other lanes run', async () => {
    const page = await openPage(untrusting, []);
    try {
      await runRace(page);
      const note = page.locator('.lane[data-lane="sse-h2"] [data-testid="secure-note"]');
      await expect.poll(() => note.innerText(), { timeout: 10_000 }).toMatch(/certificate is not trusted/);
      const link = note.getByRole('link', { name: /accept its certificate/ });
      // The page as it is, on the HTTPS origin: accept the certificate there, and come back.
      const href = (await link.getAttribute('href')) ?? '';
      expect(href.startsWith(`https://127.0.0.1:${server.httpsPort}/?`)).toBe(true);
      expect(new URL(href).searchParams.get('lanes')).toBe('sse,sse-h2');
      expect(await page.locator('.lane[data-lane="sse-h2"] .bubble').getAttribute('data-status')).toBe('error');
      expect(await page.locator('.lane[data-lane="sse"] [data-testid="reply"]').evaluate((el) => el.textContent)).toBe(text);
    } finally {
      await page.close();
    }
  });
});
