/**
 * The HTTPS port in Chromium (certificate errors ignored: the made authority is not installed
 * in it): the page loads over HTTP/2, and an EventSource streams a reply over it, which the tap
 * reports as HTTP/2 frames inside TLS records.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { buildPage, chromiumPath } from './browser.ts';
import { listenHttps, type ListeningHttps } from '../../server/testing/listenHttps.ts';
import { subscribeTap } from '../../server/testing/tapReader.ts';
import { until } from '../../server/testing/until.ts';
import type { TapOpen } from '../../shared/tap.ts';

let server: ListeningHttps;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([
    buildPage().then((staticDir) => listenHttps({ staticDir })),
    chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--ignore-certificate-errors'],
    }),
  ]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('loads the page over HTTP/2 and streams an EventSource over it, tapped at both layers', async () => {
  const tap = await subscribeTap(server.url, 'browserh2');
  const page = await browser.newPage();
  const response = await page.goto(`${server.httpsUrl}/`);
  expect(response?.status()).toBe(200);
  expect(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe('h2');
  const tokens = await page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        const source = new EventSource('/api/stream/sse?tps=1000&ttft=0&run=browserh2&text=Hello%20over%20h2');
        source.addEventListener('token', (e) => seen.push((JSON.parse((e as MessageEvent<string>).data) as { text: string }).text));
        source.addEventListener('done', () => {
          source.close();
          resolve(seen);
        });
        source.onerror = () => reject(new Error('EventSource failed'));
      }),
  );
  expect(tokens.join('')).toBe('Hello over h2');
  await until(
    () => tap.events.some((e) => e.type === 'write' && !('layer' in e && e.layer) && Buffer.from(e.data, 'base64').includes('event: done')),
    'the done event in the tap',
  );
  tap.stop();
  const opens = tap.events.filter((e): e is TapOpen => e.type === 'open');
  expect(opens.find((e) => !e.layer)).toMatchObject({ protocol: 'h2' });
  expect(opens.some((e) => e.layer === 'tls')).toBe(true);
  await page.close();
}, 60_000);
