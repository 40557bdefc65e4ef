/**
 * How the page benches drive the page, shared by bench/page.ts, bench/scrub.ts and
 * bench/trace.ts so that what is traced is exactly what is timed. Each scenario has a setup
 * (load the page, get to the moment measuring starts) and an act (what is measured).
 */
import type { Page } from 'playwright-core';
import { tokenize } from '../server/model/tokenize.ts';

export const raceTps = 100;
/** The API's limit on `text`: at about 5.6 characters a token, it holds about 35 s at 100 tokens/s. */
const maxText = 20_000;

/** The race's reply: prose cut to `seconds` of tokens at 100 tokens/s (the server splits it into the same BPE tokens). */
export function raceText(seconds: number): { text: string; tokensPerLane: number } {
  const prose = 'Streaming keeps the first words fast while the rest is still being generated. '.repeat(maxText / 50).slice(0, maxText);
  const text = tokenize(prose)
    .slice(0, seconds * raceTps)
    .join('');
  const tokensPerLane = tokenize(text).length;
  if (tokensPerLane < seconds * raceTps)
    console.error(`${seconds} s of tokens do not fit in the API's ${maxText} characters: racing ${tokensPerLane} tokens (${tokensPerLane / raceTps} s).`);
  return { text, tokensPerLane };
}

/** Loads the race (three lanes, 100 tokens/s) and returns once the lanes are on screen: the race is on. */
export async function startRace(page: Page, baseUrl: string, text: string): Promise<void> {
  await page.goto(`${baseUrl}/?text=${encodeURIComponent(text)}&tps=${raceTps}&ttft=0&jitter=0&lanes=sse,ws,http&start=1`);
  // Page load is not what this measures: start counting once the race is on.
  await page.waitForFunction(() => document.querySelectorAll('.lane').length === 3);
}

/** Waits for the SSE lane to finish its reply. */
export async function finishRace(page: Page, seconds: number): Promise<void> {
  await page.waitForFunction(() => document.querySelector('.lane[data-lane="sse"] .bubble')?.getAttribute('data-status') === 'done', null, {
    timeout: (seconds + 60) * 1000,
    polling: 1000,
  });
}

export interface ScrubSetup {
  tokensPerLane: number;
  box: { x: number; y: number; width: number; height: number };
}

/** 10,000 tokens per lane at 1,000 tokens/s, raced to the end; the mouse waits on the timeline's left end. */
export async function prepareScrub(page: Page, baseUrl: string): Promise<ScrubSetup> {
  // 10,000 tokens: each emoji is one token (after merging its BPE pieces).
  const text = '😀'.repeat(10_000);
  await page.goto(`${baseUrl}/?text=${encodeURIComponent(text)}&tps=1000&ttft=0&jitter=0&lanes=sse,ws,http&start=1`);
  await page.waitForFunction(() => document.querySelector('.lane[data-lane="http"] .bubble')?.getAttribute('data-status') === 'done', null, {
    timeout: 120_000,
    polling: 500,
  });
  await page.waitForTimeout(1000);
  const tokensPerLane = Number(await page.evaluate('document.querySelector(".lane[data-lane=\\"sse\\"] [data-figure=\\"tokens\\"]").textContent'));
  const slider = page.getByRole('slider', { name: 'Timeline: time in the run' });
  // Below the fold at 1280×720: a drag outside the viewport would reach nothing.
  await slider.scrollIntoViewIfNeeded();
  const box = (await slider.boundingBox())!;
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  return { tokensPerLane, box };
}

/** Drags across the timeline from start to end in 200 steps, then checks the cursor really moved. */
export async function scrub(page: Page, { box }: ScrubSetup): Promise<void> {
  await page.mouse.down();
  for (let i = 0; i <= 200; i++) {
    await page.mouse.move(box.x + 2 + ((box.width - 4) * i) / 200, box.y + box.height / 2);
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
}

export async function checkScrubbed(page: Page): Promise<void> {
  const slider = page.getByRole('slider', { name: 'Timeline: time in the run' });
  const [cursor, duration] = await Promise.all([slider.getAttribute('aria-valuenow'), slider.getAttribute('aria-valuemax')]);
  if (Number(cursor) < 0.9 * Number(duration))
    throw new Error(`The drag did not move the cursor across the run (at ${cursor} of ${duration} ms): did the timeline move?`);
}
