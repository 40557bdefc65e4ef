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
const replyOf = (id: string) =>
  lane(id)
    .getByTestId('reply')
    .evaluate((el) => el.textContent);

/** Presses a fault's button; resolves once every given lane's bubble says done. */
async function race(button: string, lanes: string[]): Promise<void> {
  await page.getByRole('button', { name: button }).click();
  for (const id of lanes) await expect.poll(() => lane(id).locator('.bubble').getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
}

describe('the faults lab, in Chromium', () => {
  it('offers one button per fault, each with what to watch, reachable from the keyboard', async () => {
    await page.goto(`${server.url}/?lab=faults&prompt=what-is-sse&tps=15&ttft=0&jitter=0`);
    const buttons = page.getByRole('region', { name: 'What breaks streaming' }).getByRole('button');
    expect(await buttons.allInnerTexts()).toEqual([
      '▶ Connection dropped',
      '▶ Slow link',
      '▶ Buffering proxy',
      '▶ gzip, no flush',
      '▶ gzip, flushed',
      '▶ Idle timeout',
    ]);
    for (const button of await buttons.all()) expect(await button.getAttribute('aria-describedby')).toBeTruthy();
    await page.getByRole('button', { name: 'Buffering proxy' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('▶ gzip, no flush');
  });

  it('buffering proxy: nothing until the end behind it; the one that honours X-Accel-Buffering passes tokens on', async () => {
    await page.getByRole('button', { name: 'Buffering proxy' }).click();
    // Part-way through, the proxied lane has shown nothing: the proxy holds the body.
    await expect.poll(() => lane('accel-proxy-sse').locator('[data-token]').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(10);
    expect(await lane('proxy-sse').getByTestId('reply').count()).toBe(0);
    for (const id of ['sse', 'proxy-sse', 'accel-proxy-sse']) {
      await expect.poll(() => lane(id).locator('.bubble').getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    }
    const healthy = await replyOf('sse');
    expect(await replyOf('proxy-sse')).toBe(healthy);
    expect(await replyOf('accel-proxy-sse')).toBe(healthy);
  });

  it('connection dropped: EventSource comes back with Last-Event-ID and the reply is whole', async () => {
    await race('Connection dropped', ['sse', 'drop-sse']);
    expect(await page.locator('.lane').count()).toBe(2);
    expect(await replyOf('drop-sse')).toBe(await replyOf('sse'));
    // Once the lane came back and finished, its note tells what happened, and is no longer an alarm.
    const note = lane('drop-sse').locator('.lane-note');
    expect(await note.innerText()).toMatch(/^Connection lost (after token \d+, then|\d+ times,) reconnected/);
    expect(await note.evaluate((el) => el.classList.contains('broken'))).toBe(false);
    await lane('drop-sse').getByRole('tab', { name: 'Headers' }).click();
    expect(await lane('drop-sse').locator('.panel').innerText()).toContain('Last-Event-ID');
  });

  it('slow link: the bytes arrive, each token event cut into several chunks', async () => {
    await page.goto(
      `${server.url}/?lab=faults&text=${encodeURIComponent('Streaming replies arrive token by token over one long response, never buffered.')}&tps=30&ttft=0&jitter=0`,
    );
    await race('Slow link', ['sse', 'slow-sse']);
    expect(await replyOf('slow-sse')).toBe(await replyOf('sse'));
    // The in-flight wires count every write: the slow link cuts most token events in two.
    const writes = async (id: string) => Number(/(\d+) writes? ↓/.exec(await page.locator(`.in-flight .row[data-lane="${id}"]`).innerText())?.[1]);
    expect(await writes('slow-sse')).toBeGreaterThanOrEqual(1.5 * (await writes('sse')));
    // And the byte view shows a chunk-size line in the middle of an event.
    expect(await lane('slow-sse').locator('[data-kind="chunk-size"]').count()).toBeGreaterThan(
      await lane('slow-sse').locator('[data-kind="sse-dispatch"]').count(),
    );
  });

  it('gzip: the wire view says the body is gzip-compressed and parses no SSE fields out of it; the bubble still fills', async () => {
    await race('gzip, no flush', ['sse', 'gzip-sse']);
    expect(await replyOf('gzip-sse')).toBe(await replyOf('sse'));
    const data = lane('gzip-sse').locator('[data-kind="chunk-data"]');
    expect(await data.count()).toBeGreaterThan(0);
    expect(await data.first().getAttribute('title')).toMatch(/gzip-compressed$/);
    expect(await lane('gzip-sse').locator('[data-layer="sse"]').count()).toBe(0);
    expect(await lane('sse').locator('[data-layer="sse"]').count()).toBeGreaterThan(0);
    const unflushed = await data.count();

    await race('gzip, flushed', ['sse', 'gzip-flush-sse']);
    expect(await replyOf('gzip-flush-sse')).toBe(await replyOf('sse'));
    const flushed = lane('gzip-flush-sse').locator('[data-kind="chunk-data"]');
    expect(await flushed.first().getAttribute('title')).toMatch(/gzip-compressed$/);
    // One compressed piece per event, where the unflushed compressor sent its few blocks.
    expect(await flushed.count()).toBeGreaterThan(unflushed);
  });
});
