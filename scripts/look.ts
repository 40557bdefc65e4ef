/**
 * Screenshots any page of Streamscope in the system Chromium, with all labs running, after
 * pressing some keys: for looking at what a person sees. Prints console errors.
 * Run: node --import tsx scripts/look.ts <path> <out.png> [wait ms] [key,key,…] [width]x[height] [--https] [--trust]
 * `--https`: the server also serves its HTTPS port (a certificate made in a temp folder), as
 * `npm start` does; the page is still opened over plain HTTP. `--trust`: Chromium ignores
 * certificate errors (as if the learner had accepted the certificate); without it, a lane on the
 * HTTPS origin shows what an untrusted certificate looks like.
 * With STREAMSCOPE_UPSTREAM_URL (and _KIND, _KEY) set, the server has that upstream, as `npm start` would.
 */
import { buildPage, launch, openPage, servePage } from '../tests/browser/browser.ts';
import { startLabs } from '../server/labs/labs.ts';
import { upstreamFromEnv } from '../server/upstream/upstream.ts';
import { listenHttps } from '../server/testing/listenHttps.ts';

const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith('--')));
const [target = '/', out = '/tmp/look.png', wait = '3000', keys = '', size = '1280x720'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [width, height] = size.split('x').map(Number);
const labs = await startLabs();
const upstream = upstreamFromEnv();
const options = { ...labs.options, ...(upstream ? { upstream } : {}) };
const server = flags.has('--https') ? await listenHttps({ ...options, staticDir: await buildPage() }) : await servePage(options);
const browser = await launch(flags.has('--trust') ? ['--ignore-certificate-errors'] : []);
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
