/**
 * Takes the README's screenshot (docs/screenshot.png) of a real race in the system Chromium.
 * Run: npm run screenshot   (also writes a full-page shot to the path in $FULL, if set)
 */
import path from 'node:path';
import { launch, openPage, servePage } from '../tests/browser/browser.ts';

const root = path.resolve(import.meta.dirname, '..');
const query = process.argv[2] ?? 'prompt=what-is-sse&tps=12&ttft=600&lanes=sse,ws,http&start=1';
const server = await servePage();
const browser = await launch();
try {
  const errors: string[] = [];
  const page = await openPage(browser, errors);
  await page.goto(`${server.url}/?${query}`);
  // Pause part-way, while the buffered lane still waits: the picture the page is about.
  await page.waitForFunction(
    () => document.querySelectorAll('.lane[data-lane="sse"] [data-token]').length >= Number(new URLSearchParams(location.search).get('pauseAt') ?? 25),
    null,
    { timeout: 30_000 },
  );
  await page.keyboard.press('Space');
  await page.screenshot({ path: path.join(root, 'docs/screenshot.png') });
  if (process.env.FULL) await page.screenshot({ path: process.env.FULL, fullPage: true });
  if (errors.length) console.error(errors.join('\n'));
} finally {
  await browser.close();
  await server.close();
}
