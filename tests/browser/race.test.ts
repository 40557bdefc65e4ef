import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, servePage } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';

const text = 'Hi there!\nSecond line 👋🏽 with an emoji, and a third: done.';
const lanes = ['sse', 'ws', 'http', 'openai'] as const;

let server: Listening;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([servePage(), launch()]);
  page = await openPage(browser, errors);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const bubble = (lane: string) => page.locator(`.lane[data-lane="${lane}"] .bubble`);
const replyOf = (lane: string) => page.locator(`.lane[data-lane="${lane}"] [data-testid="reply"]`);
const wire = (lane: string) => page.locator(`.lane[data-lane="${lane}"] .panel`);

/** Long enough that the bubble is cut into parts at line starts (so a new token lays out only the last part). */
const sentence = 'Streaming keeps the first words fast while the rest is still being generated. ';
const longText = `${sentence.repeat(20)}\n\nA second paragraph, with 👋🏽 emoji and a long word: ${'x'.repeat(90)}.\n${sentence.repeat(25)}`;
const partSizes = () => replyOf('sse').evaluate((p) => [...p.querySelectorAll(':scope > .part')].map((part) => part.textContent!.length).join());

/**
 * The bubble's text laid out again as one paragraph beside it, same width and styles: its height
 * and where its last character sits, against the cut bubble's.
 */
function compareWithOneParagraph(): Promise<{ cut: number[]; whole: number[]; parts: number }> {
  return replyOf('sse').evaluate((p) => {
    const measure = (el: Element): number[] => {
      const top = el.getBoundingClientRect().top;
      const range = document.createRange();
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let last: Text | null = null;
      for (let n = walker.nextNode(); n; n = walker.nextNode()) if ((n as Text).data.length) last = n as Text;
      range.setStart(last!, last!.data.length - 1);
      range.setEnd(last!, last!.data.length);
      const r = range.getBoundingClientRect();
      return [Math.round(el.getBoundingClientRect().height), Math.round(r.top - top), Math.round(r.left)];
    };
    const part = p.querySelector('.part')!;
    const whole = p.cloneNode(false) as HTMLElement;
    const one = document.createElement('span');
    one.className = part.className;
    one.textContent = p.textContent;
    whole.append(one);
    p.after(whole);
    const result = { cut: measure(p), whole: measure(whole), parts: p.querySelectorAll(':scope > .part').length };
    whole.remove();
    return result;
  });
}

describe('a long reply in the bubble', () => {
  it('is cut into parts that show the same lines as one paragraph', async () => {
    await page.goto(`${server.url}/?text=${encodeURIComponent(longText)}&tps=400&ttft=0&jitter=0&lanes=sse&start=1`);
    await expect.poll(() => bubble('sse').getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    expect(await replyOf('sse').evaluate((el) => el.textContent)).toBe(longText);
    const { cut, whole, parts } = await compareWithOneParagraph();
    expect(parts).toBeGreaterThan(2);
    expect(cut).toEqual(whole);
  });

  it('is cut again at the new lines when the bubble changes width', async () => {
    const before = await partSizes();
    await page.setViewportSize({ width: 1100, height: 720 });
    // The old cuts are dropped; the reply is cut again where the lines now start.
    await expect.poll(partSizes).not.toBe(before);
    await expect.poll(async () => (await compareWithOneParagraph()).parts).toBeGreaterThan(2);
    const { cut, whole } = await compareWithOneParagraph();
    expect(cut).toEqual(whole);
  });

  it('draws spans, for hover and shading, for the tokens in view', async () => {
    await bubble('sse').evaluate((el) => (el.scrollTop = 0));
    await expect.poll(() => replyOf('sse').locator('.part').first().locator('[data-token="0"]').count()).toBe(1);
    await replyOf('sse').locator('[data-token="3"]').first().hover();
    await expect.poll(() => replyOf('sse').locator('.token.hl').first().getAttribute('data-token')).toBe('3');
  });

  afterAll(() => page.setViewportSize({ width: 1280, height: 720 }));
});

describe('the race, in Chromium', () => {
  it('streams the same text into every lane while the buffered lane waits', async () => {
    await page.goto(`${server.url}/?text=${encodeURIComponent(text)}&tps=8&ttft=200&jitter=0&lanes=${lanes.join(',')}&start=1`);
    // While SSE is part-way through (the race takes ~3 s), the buffered bubble is still empty and says it waits.
    await expect.poll(async () => (await replyOf('sse').locator('[data-token]').count()) >= 3, { timeout: 10_000 }).toBe(true);
    expect(await replyOf('sse').count()).toBe(1);
    expect(await replyOf('http').count()).toBe(0);
    await expect.poll(() => bubble('http').getAttribute('data-status')).toBe('waiting');
    expect(await bubble('http').innerText()).toContain('waiting for the whole reply');

    for (const lane of lanes) {
      await expect.poll(() => bubble(lane).getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
      expect(await replyOf(lane).evaluate((el) => el.textContent)).toBe(text);
    }
  });

  it('shows the SSE bytes: event-stream head, chunk sizes that match their payloads, token events', async () => {
    const view = wire('sse');
    await expect.poll(() => view.innerText(), { timeout: 5000 }).toContain('text/event-stream');
    const shown = await view.innerText();
    expect(shown).toContain('Transfer-Encoding: chunked');
    expect(shown).toContain('event: token');
    const sizes = view.locator('[data-kind="chunk-size"]');
    // While the run still plays, the view keeps fewer rows above the newest; once it ends, more.
    await expect.poll(() => sizes.count()).toBeGreaterThan(3);
    // Each chunk-size line's hex value equals the bytes of data its chunk carries.
    const chunks = await view.evaluate((el) => {
      const out: { hex: string; data: number }[] = [];
      const size = new Map<string, string>();
      const data = new Map<string, number>();
      for (const s of el.querySelectorAll<HTMLElement>('[data-chunk]')) {
        const key = `${s.dataset.conn}:${s.dataset.chunk}`;
        if (s.dataset.kind === 'chunk-size') size.set(key, (s.textContent ?? '').replace(/\\r\\n|\s/g, ''));
        else if (s.dataset.layer === 'sse' || s.dataset.kind === 'chunk-data') data.set(key, (data.get(key) ?? 0) + Number(s.dataset.length));
      }
      for (const [key, hex] of size) if (data.has(key)) out.push({ hex, data: data.get(key)! });
      return out;
    });
    expect(chunks.length).toBeGreaterThan(3);
    for (const { hex, data } of chunks) expect(Number.parseInt(hex, 16)).toBe(data);
  });

  it('shows the WebSocket handshake and a masked client frame with its mask key', async () => {
    const view = wire('ws');
    const shown = await view.innerText();
    expect(shown).toContain('101 Switching Protocols');
    expect(shown).toContain('Sec-WebSocket-Accept');
    expect(await view.locator('[data-kind="ws-mask-key"]').count()).toBeGreaterThanOrEqual(1);
  });

  it('shows Content-Length on the buffered lane', async () => {
    expect(await wire('http').innerText()).toContain('Content-Length');
    expect(await wire('http').innerText()).not.toContain('Transfer-Encoding');
  });

  it('draws one timeline mark per token per streaming lane', async () => {
    const tokens = await replyOf('sse').locator('[data-token]').count();
    for (const lane of ['sse', 'ws', 'openai']) {
      // The marks are drawn on a canvas, which says how many token marks it drew.
      expect(await page.locator(`.timeline canvas[data-mark="tokens"][data-lane="${lane}"]`).getAttribute('data-tokens')).toBe(String(tokens));
    }
  });

  it('steps back: the last token disappears, and comes back stepping forward', async () => {
    const full = await replyOf('sse').locator('[data-token]').count();
    await page.locator('h1').click();
    let count = full;
    // Each step is one recorded event of any lane: the other lanes' last bytes may come first.
    for (let i = 0; i < 200 && count === full; i++) {
      await page.keyboard.press('ArrowLeft');
      count = await replyOf('sse').locator('[data-token]').count();
    }
    expect(count).toBe(full - 1);
    await page.keyboard.press('End');
    for (let i = 0; i < 200 && count < full; i++) {
      await page.keyboard.press('ArrowRight');
      count = await replyOf('sse').locator('[data-token]').count();
    }
    expect(count).toBe(full);
  });

  it('scrubs by dragging the timeline: the cursor follows the pointer, and the replies with it', async () => {
    const slider = page.getByRole('slider', { name: /Timeline/ });
    await slider.scrollIntoViewIfNeeded();
    const box = (await slider.locator(':scope > svg').first().boundingBox())!;
    const max = Number(await slider.getAttribute('aria-valuemax'));
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.9, y);
    await page.mouse.down();
    // Dragged back to the plot's left edge and past it: the very start, nothing received yet.
    for (const at of [0.6, 0.3, 0]) await page.mouse.move(box.x + box.width * at, y, { steps: 4 });
    await page.mouse.move(box.x - 40, y, { steps: 2 });
    await expect.poll(() => slider.getAttribute('aria-valuenow')).toBe('0');
    expect(await replyOf('sse').locator('[data-token]').count()).toBe(0);
    await page.mouse.move(box.x + box.width + 40, y, { steps: 4 });
    await page.mouse.up();
    await expect.poll(async () => Number(await slider.getAttribute('aria-valuenow'))).toBe(max);
    await page.keyboard.press('End');
  });

  it('exports the recording and replays it with the server stopped', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
    const file = await download.path();
    await server.close();
    await page.locator('input[type="file"]').setInputFiles(file);
    await page.getByRole('button', { name: /Play/ }).click();
    await expect.poll(() => bubble('sse').getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
    expect(await replyOf('sse').evaluate((el) => el.textContent)).toBe(text);
    expect(await wire('sse').innerText()).toContain('event: token');
  });

  it('logged no console errors', () => {
    expect(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
  });
});
