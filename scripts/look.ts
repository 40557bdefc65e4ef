/**
 * Screenshots any page of Streamscope in the system Chromium, with all labs running, after
 * pressing some keys: for looking at what a person sees. Prints console errors.
 * Run: node --import tsx scripts/look.ts <path> <out.png> [wait ms] [key,key,…] [width]x[height] [--https | --untrusted]
 * `--https` serves the HTTPS port too (a certificate made in a temp folder) and starts Chromium
 * with `--ignore-certificate-errors`, as if the learner had accepted it; `--untrusted` serves it
 * to a Chromium that does not trust it.
 */
import { buildPage, launch, openPage, servePage } from '../tests/browser/browser.ts';
import { startLabs } from '../server/labs/labs.ts';
import { listenHttps } from '../server/testing/listenHttps.ts';

const args = process.argv.slice(2);
const untrusted = args.includes('--untrusted');
const https = untrusted || args.includes('--https');
const [target = '/', out = '/tmp/look.png', wait = '3000', keys = '', size = '1280x720'] = args.filter((a) => !a.startsWith('--'));
const [width, height] = size.split('x').map(Number);
const labs = await startLabs();
const server = https ? await listenHttps({ ...labs.options, staticDir: await buildPage() }) : await servePage({ ...labs.options });
const browser = await launch(https && !untrusted ? ['--ignore-certificate-errors'] : []);
try {
  const errors: string[] = [];
  const page = await openPage(browser, errors);
  await page.setViewportSize({ width: width!, height: height! });
  await page.goto(`${server.url}${target}`);
  await page.waitForTimeout(Number(wait));
  for (const key of keys.split(',').filter(Boolean)) {
    if (key.startsWith('wait')) await page.waitForTimeout(Number(key.slice(4)));
    else if (key.startsWith('click:')) await page.click(key.slice(6));
    else await page.keyboard.press(key);
  }
  if (keys) await page.waitForTimeout(Number(wait));
  await page.screenshot({ path: out });
  console.log(page.url());
  if (errors.length) console.error(errors.join('\n'));
} finally {
  await browser.close();
  await server.close();
  await labs.close();
}
