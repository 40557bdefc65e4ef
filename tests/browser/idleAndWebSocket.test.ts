/**
 * Lessons 13 (idle timeouts) and 14 (when a WebSocket wins) in Chromium: their key steps run
 * live against the labs, and the test reads what a person sees: the lane without heartbeats cut
 * and given up, the one with them complete, and the figures lesson 14 measures from its bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serveLabs, type LabSetup } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';

let lab: LabSetup;
let server: Listening;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  lab = await serveLabs({}, errors);
  ({ server, page } = lab);
});
afterAll(() => lab?.close());

/** What the faults lab makes happen on purpose: Chromium reports the proxy's cut on the console. */
const labNoise = /ERR_INCOMPLETE_CHUNKED_ENCODING/;

const lane = (id: string) => page.locator(`.lane[data-lane="${id}"]`);
const status = (id: string) => lane(id).locator('.bubble').getAttribute('data-status');
/** The lane's token count, from its figures (the bubble draws token spans only where they show). */
const tokens = async (id: string) => Number(await lane(id).locator('[data-figure="tokens"]').innerText());
const figure = (laneId: string, name: string) => page.locator(`.costs tr[data-lane="${laneId}"] [data-figure="${name}"]`).innerText();
const bytesOf = (text: string): number => Number(/^([\d.]+) B$/.exec(text.trim())?.[1] ?? NaN);

/** Answers the step's prediction with the choice at `index`, which starts the run. */
async function predict(index: number): Promise<void> {
  await expect.poll(() => page.locator('.predict .choice').count()).toBeGreaterThan(index);
  await page.locator('.predict .choice').nth(index).click();
}

describe('lesson 13, idle timeouts and heartbeats', () => {
  it('without heartbeats the proxy cuts before the first token, three times, and the lane gives up; with them the reply arrives', async () => {
    errors.length = 0;
    await page.goto(`${server.url}/lessons/idle-timeouts/1`);
    await predict(1);
    await expect.poll(() => status('idle-hb-sse'), { timeout: 25_000 }).toBe('done');
    await expect.poll(() => status('idle-sse'), { timeout: 25_000 }).toBe('error');
    await expect.poll(() => page.locator('.predict .verdict').innerText(), { timeout: 5000 }).toContain('Right.');
    expect(await lane('idle-sse').locator('.lane-note').innerText()).toContain('gave up after 3 connections lost with no token');
    expect(await tokens('idle-sse')).toBe(0);
    expect(await tokens('idle-hb-sse')).toBe(59);

    // Three connections, each a fresh GET (no id ever arrived, so no Last-Event-ID).
    await lane('idle-sse').getByRole('tab', { name: 'Headers' }).click();
    const connections = lane('idle-sse').locator('.headers h3');
    await expect.poll(() => connections.count()).toBe(3);
    expect(await lane('idle-sse').locator('[data-header="last-event-id"]').count()).toBe(0);

    // The tap's close of the first connection, about 3 s (the proxy's idle timeout) after Start.
    await lane('idle-sse').getByRole('tab', { name: 'Bytes' }).click();
    const bytes = lane('idle-sse').getByRole('listbox');
    await bytes.focus();
    await page.keyboard.press('Home');
    const first = await lane('idle-sse').locator('.sep-label').first().innerText();
    expect(first).toMatch(/^connection #\d+ · GET \/api\/labs\/faults\/idle-proxy\/quiet\/sse\?… · closed at \d+\.\d\d s$/);
    const closedAt = Number(/closed at ([\d.]+) s/.exec(first)![1]);
    expect(closedAt).toBeGreaterThanOrEqual(2.9);
    expect(closedAt).toBeLessThan(4.5);
    expect(errors.filter((e) => !labNoise.test(e))).toEqual([]);
  });

  it("the faults lab's Idle timeout button races the same three lanes with 6 s of thinking", async () => {
    await page.goto(`${server.url}/?lab=faults&prompt=what-is-sse&tps=30&ttft=0&jitter=0`);
    await page.getByRole('button', { name: 'Idle timeout' }).click();
    await expect
      .poll(() => page.locator('.lane').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.lane)))
      .toEqual(['sse', 'idle-sse', 'idle-hb-sse']);
    expect(new URL(page.url()).searchParams.get('ttft')).toBe('6000');
    for (const id of ['sse', 'idle-hb-sse']) await expect.poll(() => status(id), { timeout: 25_000 }).toBe('done');
    await expect.poll(() => status('idle-sse'), { timeout: 25_000 }).toBe('error');
    expect(await tokens('idle-sse')).toBe(0);
    expect(await tokens('idle-hb-sse')).toBe(await tokens('sse'));
  });

  it('parked at 3 s, both lanes with heartbeats show the highlighted keep-alive comment before any token', async () => {
    await page.goto(`${server.url}/lessons/idle-timeouts/3`);
    for (const id of ['idle-hb-sse', 'sse']) await expect.poll(() => status(id), { timeout: 20_000 }).toBe('done');
    // The player parks at 3 s once the run is over: the comment at 2.5 s is the newest byte.
    await page.locator('.lesson[data-settled="true"]').waitFor({ timeout: 5000 });
    await expect.poll(() => page.locator('.lane [data-kind="sse-comment"].picked').count(), { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    for (const id of ['idle-hb-sse', 'sse']) {
      expect(await lane(id).locator('[data-kind="sse-comment"].picked').first().innerText()).toContain(': keep-alive');
      expect(await tokens(id)).toBe(0);
    }
  });
});

describe('lesson 14, when a WebSocket wins', () => {
  it('stop mid-reply: a 21-byte frame up the WebSocket against a second HTTP request for SSE', async () => {
    errors.length = 0;
    await page.goto(`${server.url}/lessons/when-websocket-wins/1`);
    await predict(1);
    for (const id of ['stop-ws', 'stop-sse']) await expect.poll(() => status(id), { timeout: 20_000 }).toBe('done');
    for (const id of ['stop-ws', 'stop-sse']) {
      const n = await tokens(id);
      // Stopped after 10; a token or two may already be on the way. The whole reply is 59.
      expect(n).toBeGreaterThanOrEqual(10);
      expect(n).toBeLessThan(20);
    }
    // The stop frame: 2 bytes of header, a 4-byte mask key and {"type":"stop"} (15 bytes).
    await expect.poll(() => figure('stop-ws', 'last')).toBe('21 B');
    expect(await figure('stop-ws', 'messages')).toBe('2');
    expect(bytesOf(await figure('stop-sse', 'last'))).toBeGreaterThan(300);
    expect(await page.locator('[data-figure="stop-ratio"]').innerText()).toMatch(
      /21 B up the WebSocket, one frame; \d+ B for the SSE page's second request: \d+× as many bytes/,
    );
    expect(await lane('stop-ws').locator('.unmasked', { hasText: '{"type":"stop"}' }).count()).toBe(1);

    // The SSE page's stop is a request of its own, answered 204, on a second connection.
    await lane('stop-sse').getByRole('tab', { name: 'Headers' }).click();
    const headers = lane('stop-sse').locator('.headers');
    await expect.poll(() => headers.locator('h3').count()).toBe(2);
    expect(await headers.locator('.start-line').allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^POST \/api\/labs\/duplex\/stop\/sse\?run=/), 'HTTP/1.1 204 No Content']),
    );
    expect(errors).toEqual([]);
  });

  it('many small messages: 6 bytes of framing per message up on the WebSocket, hundreds per HTTP request', async () => {
    await page.keyboard.press('PageDown');
    await predict(2);
    for (const id of ['chat-ws', 'chat-http']) await expect.poll(() => status(id), { timeout: 20_000 }).toBe('done');
    const replyOf = (id: string) =>
      lane(id)
        .getByTestId('reply')
        .evaluate((el) => el.textContent);
    expect(await replyOf('chat-ws')).toBe(await replyOf('chat-http'));
    const words = await tokens('chat-http');
    expect(words).toBeGreaterThan(10);
    expect(await figure('chat-http', 'messages')).toBe(String(words));
    // One more up the WebSocket: {"type":"end"}.
    expect(await figure('chat-ws', 'messages')).toBe(String(words + 1));
    expect(await figure('chat-ws', 'framing')).toBe('6 B');
    expect(bytesOf(await figure('chat-ws', 'handshake'))).toBeGreaterThan(200);
    const http = bytesOf(await figure('chat-http', 'framing'));
    expect(http).toBeGreaterThan(200);
    const ratio = await page.locator('[data-figure="ratio"]').innerText();
    expect(Number(/(\d+)×/.exec(ratio)![1])).toBe(Math.round(http / 6));
    expect(errors).toEqual([]);
  });
});
