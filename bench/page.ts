/**
 * The page under load: headless Chromium races three lanes (SSE, WebSocket, buffered HTTP) at
 * 100 tokens/s for `seconds` of tokens (default 30), then reports long tasks and frame times
 * measured in the page while the race ran. The last line of stdout is the figures as JSON.
 * Run: npm run bench:page [seconds]
 */
import { launch, openPage, servePage } from '../tests/browser/browser.ts';
import { installProbe, readProbe, resetProbe } from './pageProbe.ts';
import { finishRace, raceText, startRace } from './pageDrive.ts';

const seconds = Number(process.argv[2] ?? 30);
if (!(seconds > 0)) throw new Error(`Seconds of tokens must be a positive number, not "${process.argv[2]}".`);
const { text, tokensPerLane } = raceText(seconds);

const server = await servePage();
const browser = await launch();
try {
  const page = await openPage(browser, []);
  await installProbe(page);
  const started = Date.now();
  await startRace(page, server.url, text);
  await resetProbe(page);
  await finishRace(page, seconds);
  const figures = await readProbe(page);
  const { heap, nodes } = (await page.evaluate('({ heap: performance.memory?.usedJSHeapSize ?? 0, nodes: document.querySelectorAll("*").length })')) as {
    heap: number;
    nodes: number;
  };
  console.log(
    JSON.stringify({
      seconds: (Date.now() - started) / 1000,
      tokensPerLane,
      ...figures,
      heapMB: +(heap / 2 ** 20).toFixed(1),
      domNodes: nodes,
    }),
  );
} finally {
  await browser.close();
  await server.close();
}
