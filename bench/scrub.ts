/**
 * Scrubbing a long recording: races 10,000 tokens per lane at 1,000 tokens/s, then drags across
 * the timeline from start to end in 200 steps and reports frame times while it does. The last
 * line of stdout is the figures as JSON. Run: npm run bench:scrub
 */
import { launch, openPage, servePage } from '../tests/browser/browser.ts';
import { installProbe, readProbe, resetProbe } from './pageProbe.ts';
import { checkScrubbed, prepareScrub, scrub } from './pageDrive.ts';

const server = await servePage();
const browser = await launch();
try {
  const page = await openPage(browser, []);
  await installProbe(page);
  const setup = await prepareScrub(page, server.url);
  await resetProbe(page);
  await scrub(page, setup);
  const figures = await readProbe(page);
  await checkScrubbed(page);
  console.log(JSON.stringify({ tokensPerLane: setup.tokensPerLane, ...figures }));
} finally {
  await browser.close();
  await server.close();
}
