/**
 * A lab per learner, in Chromium: a presenter and three followers (each its own browser context,
 * so its own cookies: its own learner) go through lesson 6's kill step. Every one of them runs
 * the step itself and kills the instances under its own lanes, 1.5 s into its own run: each sees
 * its own WebSocket die with 1006 and its own SSE lane resume on another instance, whole, as
 * the lesson says, and nobody's kill cuts anybody else's streams. The next steps' lab actions
 * (revive everything, sticky mode) are done by each follower for itself too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launch, replySource, servePage } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';
import { startLabs, type Labs } from '../../server/labs/labs.ts';
import { Presenter } from '../../server/classroom/presenter.ts';
import type { BalancerState } from '../../shared/loadBalancer.ts';
import { replyFor } from '../../server/model/reply.ts';
import { parseSettings } from '../../server/model/settings.ts';

const presenter = new Presenter('per-learner-presenter');
const followers = 3;
let labs: Labs;
let server: Listening;
let browser: Browser;
const contexts: BrowserContext[] = [];
const errors: string[] = [];

beforeAll(async () => {
  labs = await startLabs();
  [server, browser] = await Promise.all([servePage({ presenter, ...labs.options }), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await labs?.close();
});

/** A browser of its own: a fresh context has its own cookie jar, so it is another learner. */
async function learnerPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return page;
}

const lane = (page: Page, id: string) => page.locator(`.lane[data-lane="${id}"]`);
const balancer = async (page: Page): Promise<BalancerState> => (await (await page.context().request.get(`${server.url}/api/labs/lb`)).json()) as BalancerState;

describe('lesson 6 in a class: a lab per learner', () => {
  it('every follower kills its own instances: its own WebSocket dies, its own SSE lane resumes on another instance', async () => {
    const audience = await Promise.all(Array.from({ length: followers }, learnerPage));
    await Promise.all(audience.map((page) => page.goto(`${server.url}/follow`)));
    for (const page of audience) await expect.poll(() => page.locator('.follow-status').innerText()).toContain('Following the presenter');

    const stage = await learnerPage();
    await stage.goto(`${server.url}/present?token=${presenter.token}`);
    await stage.goto(`${server.url}/lessons/scaling/2?present=1`);
    // The presenter reveals its own run (PageDown); each follower answers the prediction itself.
    await expect.poll(() => stage.locator('.predict .choice').count()).toBe(4);
    await stage.keyboard.press('PageDown');
    for (const page of audience) {
      await expect.poll(() => page.locator('.predict .choice').count(), { timeout: 10_000 }).toBe(4);
      await page.locator('.predict .choice').nth(1).click();
    }

    const text = replyFor(parseSettings({ prompt: 'what-is-sse', tps: '6', ttft: '300', seed: '1' })).text;
    for (const page of [stage, ...audience]) {
      const sse = lane(page, 'lb-sse');
      const ws = lane(page, 'lb-ws');
      await expect.poll(() => ws.locator('.bubble').getAttribute('data-status'), { timeout: 20_000 }).toBe('error');
      expect(await ws.innerText()).toContain('closed with code 1006');
      await expect.poll(() => sse.locator('.bubble').getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
      expect(await replySource(sse)).toBe(text);
      // Cut once, by its own kill, and resumed on another instance: exactly two instances.
      const served = (await sse.getByTestId('instances').innerText()).replace('served by instance ', '').split(' → ');
      expect(served).toHaveLength(2);
      expect(served[1]).not.toBe(served[0]);
      // Its own view: what it killed is down for it, and for it alone.
      const own = await balancer(page);
      expect(own.instances.find((i) => i.id === served[0])).toMatchObject({ alive: false, running: true });
      expect(own.instances.find((i) => i.id === served[1])).toMatchObject({ alive: true });
    }
    // Shared resources stay shared: no instance was stopped for everyone.
    expect(labs.lb.state().instances.every((i) => i.running)).toBe(true);

    // On to the sticky-sessions step (past the two steps of a sampled model): its actions
    // (revive-all, log-own, sticky) are each follower's own again.
    await stage.goto(`${server.url}/lessons/scaling/6?present=1`);
    for (const page of [stage, ...audience]) {
      await expect.poll(() => page.locator('#step-title').innerText(), { timeout: 10_000 }).toContain('Sticky sessions');
      await expect.poll(async () => (await balancer(page)).mode, { timeout: 10_000 }).toBe('sticky');
      expect((await balancer(page)).instances.every((i) => i.alive)).toBe(true);
    }
    // Nobody else's browser: a cookieless client is the anonymous learner, untouched by the class.
    expect(((await (await fetch(`${server.url}/api/labs/lb`)).json()) as BalancerState).mode).toBe('round-robin');

    expect(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION|ERR_INCOMPLETE_CHUNKED_ENCODING|WebSocket/.test(e))).toEqual([]);
    await Promise.all(contexts.map((context) => context.close()));
  }, 60_000);
});
