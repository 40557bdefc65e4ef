/**
 * A real model behind the page, and any SSE endpoint inspected, in Chromium. The upstream is a
 * second Streamscope server (its /v1/chat/completions is a real OpenAI-shaped stream); the
 * inspected endpoint is a hand-written server's CRLF stream with multi-line data and comments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, servePage } from './browser.ts';
import { audit, axeContext } from './axe.ts';
import { listen, type Listening } from '../../server/testing/listen.ts';
import { errorUpstream, type ErrorUpstream } from '../../server/testing/errorUpstream.ts';

const key = 'sk-browser-test-SECRET-42';
const text = 'Hello from the upstream model 👋🏽, line one.\nLine two.';

let model: Listening;
let target: ErrorUpstream;
let server: Listening;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  [model, target, browser] = await Promise.all([listen(), errorUpstream(), launch()]);
  server = await servePage({ upstream: { url: `${model.url}/v1?tps=40&ttft=300&jitter=0`, kind: 'openai', key } });
  page = await openPage(browser, errors);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), model?.close(), target?.close()]);
});

const lane = (id: string) => page.locator(`.lane[data-lane="${id}"]`);
const wire = (id: string) => lane(id).locator('.panel');

describe('an upstream model, picked in the page', () => {
  it('lists upstream/<id> models, and shows the upstream leg beside the legs to the browser', async () => {
    await page.goto(`${server.url}/?text=${encodeURIComponent(text)}&tps=50&ttft=0&lanes=sse,openai`);
    const picker = page.locator('#model-picker');
    await expect.poll(() => picker.locator('option').allInnerTexts()).toEqual(['simulated (streamscope)', 'upstream/streamscope', 'upstream/echo']);
    await picker.selectOption('upstream/echo');
    // The upstream leg's lane joins the race's lanes (its toggle shows too).
    await expect.poll(() => page.getByRole('checkbox', { name: /Upstream leg/ }).isChecked()).toBe(true);
    await page.getByRole('button', { name: '▶ Start' }).click();
    for (const id of ['sse', 'openai']) {
      await expect.poll(() => lane(id).locator('.bubble').getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
      expect(
        await lane(id)
          .locator('[data-testid="reply"]')
          .evaluate((el) => el.textContent),
      ).toBe(text);
    }
    // The upstream leg: the request Streamscope sent, and the model's raw event stream.
    const leg = wire('upstream');
    // The view draws only the rows in sight: the head first (Home), then the stream's end (End).
    await lane('upstream').locator('.scroller').press('Home');
    await expect.poll(() => leg.innerText(), { timeout: 5000 }).toContain('POST /v1/chat/completions');
    const shown = await leg.innerText();
    expect(shown).toContain('text/event-stream');
    expect(shown).toContain('data: {"id":"chatcmpl-');
    expect(shown).toContain(`Authorization: ${'*'.repeat(`Bearer ${key}`.length)}`);
    await lane('upstream').locator('.scroller').press('End');
    await expect.poll(() => leg.innerText(), { timeout: 5000 }).toContain('[DONE]');
    expect(await leg.locator('[data-kind="sse-field"]').count()).toBeGreaterThan(3);
    expect(await lane('upstream').getByTestId('outgoing-note').innerText()).toMatch(/Streamscope as the client/);
    // The key never reaches the page.
    expect(await page.content()).not.toContain(key);
    expect(shown).not.toContain(key);
    expect(errors).toEqual([]);
  });
});

describe('Inspect a URL', () => {
  it("opens any server's event stream and dissects it: CRLF, multi-line data, comments", async () => {
    await page.goto(`${server.url}/`);
    await page.getByText('Inspect a URL', { exact: true }).first().click();
    await page.getByLabel('URL', { exact: true }).fill(`${target.url}/crlf`);
    await page.getByRole('button', { name: 'Inspect' }).click();
    const leg = wire('inspect-leg');
    await expect.poll(() => leg.innerText(), { timeout: 10_000 }).toContain('first line');
    const shown = await leg.innerText();
    expect(shown).toContain('GET /crlf HTTP/1.1');
    expect(shown).toContain('second line');
    expect(await leg.locator('[data-kind="sse-comment"]').count()).toBeGreaterThanOrEqual(2);
    expect(await leg.locator('[data-kind="sse-field"]').count()).toBeGreaterThanOrEqual(5);
    // The page's own leg: the same stream, relayed.
    await expect.poll(() => wire('inspect').innerText()).toContain('second line');
    expect(await wire('inspect').locator('[data-kind="sse-dispatch"]').count()).toBeGreaterThanOrEqual(3);
    await expect.poll(() => lane('inspect').locator('[data-testid="reply"]').innerText()).toContain('first line\nsecond line');
  });

  it('shows a refusal as the problem’s detail', async () => {
    await page.getByLabel('URL', { exact: true }).fill('http://169.254.169.254/latest/meta-data/');
    await page.getByRole('button', { name: 'Inspect' }).click();
    await expect.poll(() => page.getByTestId('inspect-error').innerText(), { timeout: 10_000 }).toMatch(/cloud metadata address/);
  });

  it('is reachable and usable from the keyboard alone, labelled, and passes axe open and after a run', async () => {
    const context = await axeContext(browser);
    const kb = await context.newPage();
    try {
      await kb.goto(`${server.url}/`);
      // Tab to the panel's summary, open it with Enter, then fill the labelled fields.
      for (let i = 0; i < 60; i++) {
        await kb.keyboard.press('Tab');
        if (await kb.evaluate(() => document.activeElement?.textContent === 'Inspect a URL' && document.activeElement.tagName === 'SUMMARY')) break;
      }
      await kb.keyboard.press('Enter');
      await kb.keyboard.press('Tab');
      expect(await kb.evaluate(() => (document.activeElement as HTMLInputElement).labels?.[0]?.textContent?.trim())).toBe('URL');
      await kb.keyboard.type(`${target.url}/crlf`);
      await kb.keyboard.press('Tab');
      await kb.keyboard.press('Tab'); // the headers field (GET sends no body)
      await kb.keyboard.type('Authorization: Bearer sk-typed');
      await kb.keyboard.press('Enter'); // a new line in the textarea, not a submit
      await kb.keyboard.press('Tab');
      await kb.keyboard.press('Tab');
      expect(await kb.evaluate(() => document.activeElement?.textContent)).toBe('Inspect');
      await kb.keyboard.press('Enter');
      await expect.poll(() => kb.locator('.lane[data-lane="inspect-leg"] .panel').innerText(), { timeout: 10_000 }).toContain('second line');
      await expect.poll(() => kb.getByTestId('run-status').textContent(), { timeout: 10_000 }).toMatch(/finished|stopped/);
      const found = await audit(kb);
      expect(found.serious).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
