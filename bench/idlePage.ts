/**
 * The baseline of the page benches: the same probe on an empty page in the same headless
 * Chromium, for `seconds` (default 10). What it records is what this machine, at this moment,
 * does to frames and tasks with no Streamscope in them. The last line of stdout is the figures
 * as JSON, like bench/page.ts. Run: node --import tsx bench/idlePage.ts [seconds]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { launch, openPage } from '../tests/browser/browser.ts';
import { installProbe, readProbe, resetProbe } from './pageProbe.ts';

const seconds = Number(process.argv[2] ?? 10);
if (!(seconds > 0)) throw new Error(`Seconds must be a positive number, not "${process.argv[2]}".`);

const browser = await launch();
try {
  const page = await openPage(browser, []);
  await installProbe(page);
  await page.goto('data:text/html,<!doctype html><title>idle</title><p>idle');
  await resetProbe(page);
  await sleep(seconds * 1000);
  console.log(JSON.stringify({ seconds, ...(await readProbe(page)) }));
} finally {
  await browser.close();
}
