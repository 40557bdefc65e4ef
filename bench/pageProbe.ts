/**
 * What the page benches measure inside the page: long tasks (the Long Tasks API, main-thread
 * tasks over 50 ms) and the interval between animation frames. Shared by bench/page.ts and
 * bench/scrub.ts.
 */
import type { Page } from 'playwright-core';
import { percentile } from './stats.ts';

/**
 * Installed before the page's own scripts (`addInitScript` runs it from DevTools, so the page's
 * Content-Security-Policy does not block it, as it would an inline script tag). A plain string:
 * functions passed to the page must not carry the bundler's helpers.
 */
const probe = `
  window.benchProbe = { longTasks: [], frames: [] };
  new PerformanceObserver((list) => list.getEntries().forEach((e) => window.benchProbe.longTasks.push(e.duration))).observe({ type: 'longtask' });
  let last = performance.now();
  const frame = (now) => { window.benchProbe.frames.push(now - last); last = now; requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
`;

export interface FrameFigures {
  /** Main-thread tasks over 50 ms. */
  longTasks: number;
  longestTask: number;
  frames: number;
  /** Animation frames drawn per second of the measured time (60 when none is missed). */
  framesPerSecond: number;
  /** ms between animation frames: 16.7 is 60 frames a second. */
  frameMedian: number;
  frameP95: number;
}

/** Starts recording on every page load of `page` (call before `goto`). */
export async function installProbe(page: Page): Promise<void> {
  await page.addInitScript(probe);
}

/** Forgets what was recorded so far: what follows is what is measured. */
export async function resetProbe(page: Page): Promise<void> {
  await page.evaluate('window.benchProbe.longTasks = []; window.benchProbe.frames = []');
}

export async function readProbe(page: Page): Promise<FrameFigures> {
  const { longTasks, frames } = (await page.evaluate('window.benchProbe')) as { longTasks: number[]; frames: number[] };
  const sorted = Float64Array.from(frames).sort();
  return {
    longTasks: longTasks.length,
    longestTask: Math.round(Math.max(0, ...longTasks)),
    frames: frames.length,
    framesPerSecond: +(
      (1000 * frames.length) /
      Math.max(
        1,
        frames.reduce((a, b) => a + b, 0),
      )
    ).toFixed(1),
    frameMedian: +percentile(sorted, 0.5).toFixed(1),
    frameP95: +percentile(sorted, 0.95).toFixed(1),
  };
}
