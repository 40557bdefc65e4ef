/**
 * Lessons 11 and 12 in Chromium: "Stop generating" shows what the server did not generate, a
 * fetch stream cut mid-reply stays cut while one that resumes itself ends whole, and an error
 * after the 200 shows in every lane. Also what Chromium's EventSource does with `event: error`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { replySource, serveLabs, type LabSetup } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';
import { replyFor } from '../../server/model/reply.ts';
import { parseSettings } from '../../server/model/settings.ts';

let lab: LabSetup;
let server: Listening;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  lab = await serveLabs({ retryMs: 300 }, errors);
  ({ server, page } = lab);
});
afterAll(() => lab?.close());

const lane = (id: string) => page.locator(`.lane[data-lane="${id}"]`);
const status = (id: string) => lane(id).locator('.bubble').getAttribute('data-status');
const note = (id: string) => lane(id).getByTestId('generation');
const laneError = (id: string) => lane(id).locator('.lane-note').innerText();
const tokens = async (id: string) => Number(await lane(id).locator('[data-figure="tokens"]').innerText());

/** Opens a lesson step and answers its prediction with the choice at `choice`. */
async function step(path: string, choice: number): Promise<void> {
  await page.goto(`${server.url}/lessons/${path}`);
  await page.locator('.predict .choice').nth(choice).click();
}

describe('lesson 11: Stop generating', () => {
  it('stops every lane at 1.5 s, and each lane shows the tokens the server never generated', async () => {
    await step('stop-and-resume/1', 1);
    const reasons = { sse: 'the client closed the connection', openai: 'the client closed the connection', ws: 'a "stop" message' };
    for (const [id, reason] of Object.entries(reasons)) {
      await expect.poll(() => note(id).count(), { timeout: 15_000 }).toBe(1);
      const text = await note(id).innerText();
      expect(text).toMatch(new RegExp(`^server stopped after (\\d+) of 167 tokens: ${reason}; (\\d+) never generated$`));
      const [, generated, never] = /after (\d+) of 167.*; (\d+) never/.exec(text)!;
      expect(Number(generated) + Number(never)).toBe(167);
      // Stopped at 1.5 s at 20 tokens a second: far from the end.
      expect(Number(never)).toBeGreaterThan(100);
      expect(await note(id).getAttribute('data-never')).toBe(never);
      // The page got no more than the server generated.
      expect(await tokens(id)).toBeLessThanOrEqual(Number(generated));
    }
    // And the server really let go of them.
    await expect.poll(() => server.limiter.open, { timeout: 5000 }).toBe(0);
  });
});

describe('lesson 11: what POST + fetch loses', () => {
  const whole = replyFor(parseSettings({ prompt: 'what-is-sse' })).text;
  const replyOf = (id: string) => replySource(lane(id));

  it('a fetch stream cut after 15 tokens ends there, while EventSource resumes', async () => {
    await step('stop-and-resume/3', 1);
    await expect.poll(() => status('cut-fetch'), { timeout: 20_000 }).toBe('error');
    expect(await laneError('cut-fetch')).toMatch(/the stream broke off after 1[45] tokens .*nothing asks for the rest/);
    await expect.poll(() => note('cut-fetch').innerText()).toBe('server stopped after 15 of 59 tokens: the connection was cut; 44 never generated');
    await expect.poll(() => status('drop-sse'), { timeout: 20_000 }).toBe('done');
    expect(await replyOf('drop-sse')).toBe(whole);
  });

  it('a fetch that resumes itself with Last-Event-ID ends with the whole reply, each token once', async () => {
    await step('stop-and-resume/4', 1);
    await expect.poll(() => status('resume-fetch'), { timeout: 30_000 }).toBe('done');
    expect(await replyOf('resume-fetch')).toBe(whole);
    expect(await tokens('resume-fetch')).toBe(59);
    // The whole reply was generated, over several connections: nothing to report.
    expect(await note('resume-fetch').count()).toBe(0);
    // The step opens the Headers tab: the page's own code sent Last-Event-ID.
    await expect.poll(() => lane('resume-fetch').locator('.panel').innerText()).toContain('Last-Event-ID');
    expect(await status('cut-fetch')).toBe('error');
  });
});

describe('lesson 12: errors after the 200', () => {
  it('each lane stops at 20 tokens and shows the error its code read from inside the stream', async () => {
    await step('errors-after-200/1', 1);
    const shown = {
      sse: 'The model failed after 20 tokens (the fail=20 setting).',
      openai: 'server_error: The server had an error while processing your request. The model failed after 20 tokens',
      anthropic: 'overloaded_error: Overloaded',
      ws: 'closed with code 1011: The model failed after 20 tokens',
    };
    for (const [id, text] of Object.entries(shown)) {
      await expect.poll(() => status(id), { timeout: 20_000 }).toBe('error');
      expect(await laneError(id)).toContain(text);
      expect(await tokens(id)).toBe(20);
      await expect.poll(() => note(id).innerText()).toBe('server stopped after 20 of 59 tokens: the model failed; 39 never generated');
    }
    // The HTTP lanes' status line still says 200.
    await lane('openai').getByRole('tab', { name: 'Headers' }).click();
    expect(await lane('openai').locator('.panel').innerText()).toContain('200 OK');
  });

  it('the buffered lane, which had sent nothing yet, gets a real 500', async () => {
    await step('errors-after-200/3', 0);
    await expect.poll(() => status('http'), { timeout: 20_000 }).toBe('error');
    expect(await laneError('http')).toBe('The model failed after 20 tokens (the fail=20 setting).');
    await expect.poll(() => lane('http').locator('.panel').innerText()).toContain('500 Internal Server Error');
  });

  it("Chromium's EventSource hands a named error event to onerror as a MessageEvent, then reconnects and gets it again", async () => {
    const seen = await page.evaluate(
      () =>
        new Promise<string[]>((resolve) => {
          const log: string[] = [];
          const source = new EventSource('/api/stream/sse?tps=200&ttft=0&fail=3');
          source.onerror = (e) => {
            log.push(
              `${e.constructor.name} ${source.readyState}${e instanceof MessageEvent ? ` ${(JSON.parse(String(e.data)) as { tokens: number }).tokens}` : ''}`,
            );
            if (log.length === 3) {
              source.close();
              resolve(log);
            }
          };
        }),
    );
    expect(seen).toEqual(['MessageEvent 1 3', 'Event 0', 'MessageEvent 1 3']);
  });

  it('logged no console errors but the ones the demos cause', () => {
    expect(errors.filter((e) => !/ERR_INCOMPLETE_CHUNKED_ENCODING|status of 500/.test(e))).toEqual([]);
  });
});
