/**
 * Scrubbing a long recording: races 10,000 tokens per lane at 1,000 tokens/s, then drags across
 * the timeline from start to end in 200 steps and reports frame times while it does. The last
 * line of stdout is the figures as JSON. Run: npm run bench:scrub
 */
import { launch, openPage, servePage } from '../tests/browser/browser.ts';
import { installProbe, readProbe, resetProbe } from './pageProbe.ts';

// 10,000 tokens: each emoji is one token (after merging its BPE pieces).
const text = '😀'.repeat(10_000);
const server = await servePage();
const browser = await launch();
try {
  const page = await openPage(browser, []);
  await installProbe(page);
  await page.goto(`${server.url}/?text=${encodeURIComponent(text)}&tps=1000&ttft=0&jitter=0&lanes=sse,ws,http&start=1`);
  await page.waitForFunction(() => document.querySelector('.lane[data-lane="http"] .bubble')?.getAttribute('data-status') === 'done', null, {
    timeout: 120_000,
    polling: 500,
  });
  await page.waitForTimeout(1000);
  const tokensPerLane = Number(await page.evaluate('document.querySelector(".lane[data-lane=\\"sse\\"] [data-figure=\\"tokens\\"]").textContent'));
  const slider = page.getByRole('slider', { name: 'Timeline: time in the run' });
  // Below the fold at 1280×720: a drag outside the viewport would reach nothing.
  await slider.scrollIntoViewIfNeeded();
  const box = (await slider.boundingBox())!;
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  await resetProbe(page);
  await page.mouse.down();
  for (let i = 0; i <= 200; i++) {
    await page.mouse.move(box.x + 2 + ((box.width - 4) * i) / 200, box.y + box.height / 2);
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
  const figures = await readProbe(page);
  const [cursor, duration] = await Promise.all([slider.getAttribute('aria-valuenow'), slider.getAttribute('aria-valuemax')]);
  if (Number(cursor) < 0.9 * Number(duration))
    throw new Error(`The drag did not move the cursor across the run (at ${cursor} of ${duration} ms): did the timeline move?`);
  console.log(JSON.stringify({ tokensPerLane, ...figures }));
} finally {
  await browser.close();
  await server.close();
}
