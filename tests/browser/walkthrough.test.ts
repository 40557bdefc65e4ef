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

/** Boxes of `selector` inside each of `groups`, in px; any two in one group that overlap. */
async function overlapping(groups: string, selector: string): Promise<string[]> {
  return page.locator(groups).evaluateAll(
    (els, sel) =>
      els.flatMap((group) => {
        const boxes = [...group.querySelectorAll(sel)].map((el) => ({ text: el.textContent ?? '', r: el.getBoundingClientRect() }));
        const found: string[] = [];
        for (let i = 0; i < boxes.length; i++)
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i]!.r;
            const b = boxes[j]!.r;
            if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
              found.push(`"${boxes[i]!.text}" over "${boxes[j]!.text}"`);
          }
        return found;
      }),
    selector,
  );
}

const inFlight = '.in-flight .track .packet';

describe('packets in flight', () => {
  it('none is left on a wire once the run is over; scrubbing back puts them in flight again, never over one another', async () => {
    // The dropped connection's last bytes (the final chunk, a read) are the run's last events.
    await page.goto(`${server.url}/?lab=faults&tps=60&ttft=0&jitter=0`);
    await page.getByRole('button', { name: 'Connection dropped' }).click();
    for (const id of ['sse', 'drop-sse']) {
      await expect.poll(() => page.locator(`.lane[data-lane="${id}"] .bubble`).getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    }
    await expect.poll(() => page.getByRole('button', { name: 'Play', exact: true }).count()).toBe(1);
    await page.waitForTimeout(500);
    expect(await page.locator(inFlight).allInnerTexts()).toEqual([]);
    // Back to a fifth of the run, when the healthy lane streams: the packets of that moment are on the wires.
    const slider = page.getByRole('slider', { name: 'Timeline: time in the run' });
    await slider.focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 2; i++) await page.keyboard.press('PageUp');
    await expect.poll(() => page.locator(inFlight).count()).toBeGreaterThan(2);
    expect(await overlapping('.in-flight .track', '.packet')).toEqual([]);

    // On a phone the wires are narrower than a whole label: sizes only, inside the wire, apart.
    // The packets are placed again once the track's new width is measured (a ResizeObserver,
    // a frame or so after the resize), so the checks wait for that placement.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.locator(inFlight).count()).toBeGreaterThan(0);
    await expect.poll(() => overlapping('.in-flight .track', '.packet')).toEqual([]);
    const outside = () =>
      page.locator('.in-flight .track').evaluateAll((tracks) =>
        tracks.flatMap((track) => {
          const t = track.getBoundingClientRect();
          return [...track.querySelectorAll('.packet')]
            .filter((p) => {
              const r = p.getBoundingClientRect();
              return r.left < t.left - 0.5 || r.right > t.right + 0.5;
            })
            .map((p) => p.textContent);
        }),
      );
    await expect.poll(outside).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 720 });
  });
});

/** Waits until every lane's bubble says done and the player has stopped at the end. */
async function finished(): Promise<void> {
  await expect.poll(() => page.locator('.lane').count(), { timeout: 10_000 }).toBeGreaterThan(0);
  for (const lane of await page.locator('.lane').all()) {
    await expect.poll(() => lane.locator('.bubble').getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
  }
  await expect.poll(() => page.getByRole('button', { name: 'Play', exact: true }).count()).toBe(1);
}

describe('the timeline', () => {
  for (const [width, height] of [
    [1280, 720],
    [390, 844],
  ] as const) {
    it(`draws no word over another at ${width}×${height}: lane titles, figures, moments, ticks`, async () => {
      await page.setViewportSize({ width, height });
      // The faults lab's lanes have long names.
      await page.goto(`${server.url}/?lab=faults&tps=60&ttft=0&jitter=0`);
      await page.getByRole('button', { name: 'Buffering proxy' }).click();
      await finished();
      expect(await overlapping('.timeline .slider', 'text')).toEqual([]);

      // The buffered lane's first byte, first token and done fall within a few ms of each other.
      await page.goto(`${server.url}/?lanes=sse,ws,http,openai&tps=60&ttft=300&jitter=0&start=1`);
      await finished();
      expect(await page.locator('.timeline text.label').count()).toBeGreaterThanOrEqual(4);
      expect(await overlapping('.timeline .slider', 'text')).toEqual([]);
      // A moment left out for room is still in the timeline's description.
      const caption = await page.locator('.timeline figcaption').innerText();
      for (const moment of ['Buffered HTTP: first byte', 'first token', 'done']) expect(caption).toContain(moment);
    });
  }
});
