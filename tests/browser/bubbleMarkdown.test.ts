import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, servePage } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';
import { prompts } from '../../server/model/prompts.ts';

const reply = prompts.find((p) => p.id === 'render-markdown')!.reply;

let server: Listening;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([servePage(), launch()]);
  page = await openPage(browser, errors);
  await page.setViewportSize({ width: 1280, height: 900 });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const lane = laneOf('sse');
function laneOf(id: string) {
  return {
    bubble: () => page.locator(`.lane[data-lane="${id}"] .bubble`),
    reply: () => page.locator(`.lane[data-lane="${id}"] [data-testid="reply"]`),
    button: (name: string) => page.locator(`.lane[data-lane="${id}"]`).getByRole('button', { name, exact: true }),
  };
}
const done = () => expect.poll(() => lane.bubble().getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
/** The reply's text outside code, where markers would show if they leaked. */
const proseText = () =>
  lane.reply().evaluate((el) => {
    const copy = el.cloneNode(true) as HTMLElement;
    for (const code of copy.querySelectorAll('code')) code.remove();
    return copy.textContent ?? '';
  });

describe('a reply with markdown, in the bubble', () => {
  it('never shows a closed marker while it streams', async () => {
    await page.goto(`${server.url}/?prompt=render-markdown&tps=60&ttft=0&jitter=0&lanes=sse`);
    // Every change to the bubble, as it happens: the prose outside code at that moment.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const reply = document.querySelector('.lane[data-lane="sse"] [data-testid="reply"]');
        if (!reply) return;
        const copy = reply.cloneNode(true) as HTMLElement;
        for (const code of copy.querySelectorAll('code')) code.remove();
        seen.push(copy.textContent ?? '');
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Start' }).click();
    await done();
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.length).toBeGreaterThan(20);
    for (const text of seen) {
      expect(text).not.toContain('**');
      expect(text).not.toMatch(/(^|\n)\s*(- |\d\. |#|>|```)/);
      expect(text).not.toContain('](');
    }
  });

  it('draws lists as lists, code as code, bold as bold, and no markers', async () => {
    const reply = lane.reply();
    expect(await lane.bubble().getAttribute('data-view')).toBe('markdown');
    expect(await reply.locator('ul > li').allInnerTexts()).toEqual([
      'Split the reply into blocks: paragraphs, lists, headings and code fences.',
      'A block is complete once the next one starts, so keep its output and never parse it again.',
      'Re-parse only the last, open block on each token.',
    ]);
    expect(await reply.locator('ol > li').count()).toBe(3);
    expect(await reply.locator('pre code').innerText()).toBe(
      'const blocks = done.concat(parse(text.slice(openFrom)));\nrender(blocks); // closed blocks keep their DOM',
    );
    expect(await reply.locator('strong').first().innerText()).toBe('markdown');
    expect(await reply.locator('em').first().innerText()).toBe('while');
    expect(await reply.getByRole('heading', { name: 'Render as it streams' }).count()).toBe(1);
    expect(await reply.locator('blockquote').innerText()).toContain('Keep the raw text one click away');
    // A link is text and its address, and goes nowhere.
    expect(await reply.locator('a').count()).toBe(0);
    expect(await reply.locator('.link').innerText()).toBe('CommonMark spec');
    expect(await reply.locator('.url').innerText()).toBe('https://spec.commonmark.org');
    const prose = await proseText();
    expect(prose).not.toContain('**');
    expect(prose).not.toContain('`');
  });

  it('lights up a token under the pointer, inside the rendered text', async () => {
    // Spans are drawn for what is in view: scroll up to the first bold word.
    await lane.bubble().evaluate((el) => (el.scrollTop = 0));
    const span = lane.reply().locator('strong [data-token]').first();
    await expect.poll(() => span.count()).toBe(1);
    const token = await span.getAttribute('data-token');
    await span.hover();
    await expect.poll(() => lane.reply().locator('.token.hl').first().getAttribute('data-token')).toBe(token);
    await page.mouse.move(0, 0);
    await expect.poll(() => lane.reply().locator('.token.hl').count()).toBe(0);
  });

  it('lights up the token of a byte segment pointed at in the wire view', async () => {
    // The newest token's data line, at the bottom of the wire view.
    const last = page.locator('.lane[data-lane="sse"] .panel [data-kind="sse-field"]').filter({ hasText: '"text"' }).last();
    const data = page.locator(`.lane[data-lane="sse"] .panel [data-seg="${await last.getAttribute('data-seg')}"]`);
    const token = /token (\d+)/.exec((await data.getAttribute('title')) ?? '')![1];
    await data.hover();
    await expect.poll(() => lane.reply().locator('.token.hl').getAttribute('data-token')).toBe(token);
    await page.mouse.move(0, 0);
  });

  it('shows the exact source one click away (Raw), from the keyboard too, and back', async () => {
    const raw = lane.button('Raw');
    expect(await raw.getAttribute('aria-pressed')).toBe('false');
    await raw.focus();
    await page.keyboard.press('Enter');
    expect(await raw.getAttribute('aria-pressed')).toBe('true');
    expect(await lane.bubble().getAttribute('data-view')).toBe('text');
    expect(await lane.reply().evaluate((el) => el.textContent)).toBe(reply);
    expect(await lane.reply().locator('ul').count()).toBe(0);
    await lane.button('Rendered').click();
    expect(await lane.reply().locator('ul > li').count()).toBe(3);
  });

  it('follows the player cursor: back to the start and forward again', async () => {
    await page.locator('h1').click();
    await page.keyboard.press('Home');
    await expect.poll(() => lane.reply().count()).toBe(0);
    await page.keyboard.press('End');
    await expect.poll(() => lane.reply().locator('ol > li').count()).toBe(3);
    expect(await lane.reply().locator('pre code').count()).toBe(1);
  });
});

describe('a learner’s own text', () => {
  it('shows HTML in it as text, and runs none of it', async () => {
    const text =
      '**Hi** <script>window.__injected = 1</script> <img src=x onerror="window.__injected = 2">\n\n- <b>not bold</b>\n\n```\n<script>window.__injected = 3</script>\n```';
    await page.goto(`${server.url}/?text=${encodeURIComponent(text)}&tps=200&ttft=0&jitter=0&lanes=sse&start=1`);
    await done();
    const reply = lane.reply();
    expect(await reply.locator('script, img, b').count()).toBe(0);
    expect(await reply.locator('strong').innerText()).toBe('Hi');
    expect(await reply.innerText()).toContain('<script>window.__injected = 1</script> <img src=x onerror="window.__injected = 2">');
    expect(await reply.locator('li').innerText()).toBe('<b>not bold</b>');
    expect(await reply.locator('pre code').innerText()).toBe('<script>window.__injected = 3</script>');
    expect(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();
    await lane.button('Raw').click();
    expect(await reply.evaluate((el) => el.textContent)).toBe(text);
  });

  it('logged no console errors', () => {
    expect(errors).toEqual([]);
  });
});
