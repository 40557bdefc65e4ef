/**
 * The page under load: headless Chromium races three lanes at 100 tokens/s for `seconds`,
 * then reports long tasks and frame times measured in the page. Run: npm run bench:page [seconds]
 */
import { launch, openPage, servePage } from '../tests/browser/browser.ts';

const seconds = Number(process.argv[2] ?? 30);
const tps = 100;
// Enough prose for `seconds` of tokens at `tps` (about 4 characters a token).
const text = 'Streaming keeps the first words fast while the rest is still being generated. '.repeat(Math.ceil((seconds * tps * 4.2) / 80)).slice(0, 20_000);

const server = await servePage();
const browser = await launch();
try {
  const page = await openPage(browser, []);
  // A plain string: functions passed to the page must not carry the bundler's helpers.
  await page.addInitScript(`
    window.longTasks = []; window.frames = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => window.longTasks.push(e.duration))).observe({ type: 'longtask' });
    let last = performance.now();
    const frame = (now) => { window.frames.push(now - last); last = now; requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
  `);
  await page.goto(`${server.url}/?text=${encodeURIComponent(text)}&tps=${tps}&ttft=0&jitter=0&lanes=sse,ws,http&start=1`);
  const started = Date.now();
  // Page load is not what this measures: start counting once the race is on.
  await page.waitForFunction('document.querySelectorAll(".lane").length === 3');
  await page.evaluate('window.longTasks = []; window.frames = []');
  await page.waitForFunction(`document.querySelector('.lane[data-lane="sse"] .bubble')?.getAttribute('data-status') === 'done'`, null, { timeout: (seconds + 60) * 1000, polling: 1000 });
  const { longTasks, frames, heap, nodes } = (await page.evaluate(
    '({ longTasks: window.longTasks, frames: window.frames, heap: performance.memory?.usedJSHeapSize ?? 0, nodes: document.querySelectorAll("*").length })',
  )) as { longTasks: number[]; frames: number[]; heap: number; nodes: number };
  const sorted = [...frames].sort((a, b) => a - b);
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  console.log(JSON.stringify({
    seconds: (Date.now() - started) / 1000,
    longTasks: longTasks.length,
    longestTask: Math.round(Math.max(0, ...longTasks)),
    frameMedian: +q(0.5).toFixed(1),
    frameP95: +q(0.95).toFixed(1),
    heapMB: +(heap / 2 ** 20).toFixed(1),
    domNodes: nodes,
  }));
} finally {
  await browser.close();
  await server.close();
}
