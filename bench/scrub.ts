/**
 * Scrubbing a long recording: races ~10,000 chunks per lane at 1,000 tokens/s, then drags across the
 * timeline from start to end in 200 steps and reports frame times while it does.
 * Run: npm run bench:scrub
 */
import { launch, openPage, servePage } from '../tests/browser/browser.ts';

// 10,000 tokens: each emoji is one token (after merging its BPE pieces).
const text = '😀'.repeat(10_000);
const server = await servePage();
const browser = await launch();
try {
  const page = await openPage(browser, []);
  await page.goto(`${server.url}/?text=${encodeURIComponent(text)}&tps=1000&ttft=0&jitter=0&lanes=sse,ws,http&start=1`);
  await page.waitForFunction(`document.querySelector('.lane[data-lane="http"] .bubble')?.getAttribute('data-status') === 'done'`, null, { timeout: 120_000, polling: 500 });
  await page.waitForTimeout(1000);
  const chunks = await page.evaluate('document.querySelector(".lane[data-lane=\\"sse\\"] [data-figure=\\"tokens\\"]").textContent');
  await page.addScriptTag({
    content: `window.frames = []; let last = performance.now(); window.longTasks = [];
      new PerformanceObserver((l) => l.getEntries().forEach((e) => window.longTasks.push(e.duration))).observe({ type: 'longtask' });
      const f = (now) => { window.frames.push(now - last); last = now; requestAnimationFrame(f); }; requestAnimationFrame(f);`,
  });
  const slider = page.getByRole('slider', { name: 'Timeline: time in the run' });
  const box = (await slider.boundingBox())!;
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 0; i <= 200; i++) {
    await page.mouse.move(box.x + 2 + ((box.width - 4) * i) / 200, box.y + box.height / 2);
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
  const { frames, longTasks } = (await page.evaluate('({ frames: window.frames, longTasks: window.longTasks })')) as { frames: number[]; longTasks: number[] };
  const sorted = [...frames].sort((a, b) => a - b);
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  console.log(JSON.stringify({ tokensPerLane: Number(chunks), longTasks: longTasks.length, longestTask: Math.round(Math.max(0, ...longTasks)), frameMedian: +q(0.5).toFixed(1), frameP95: +q(0.95).toFixed(1) }));
} finally {
  await browser.close();
  await server.close();
}
