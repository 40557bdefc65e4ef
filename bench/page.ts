/**
 * The page under load: headless Chromium races three lanes (SSE, WebSocket, buffered HTTP) at
 * 100 tokens/s for `seconds` of tokens (default 30), then reports long tasks and frame times
 * measured in the page while the race ran. The last line of stdout is the figures as JSON.
 * Run: npm run bench:page [seconds]
 */
import { launch, openPage, servePage } from '../tests/browser/browser.ts';
import { tokenize } from '../server/model/tokenize.ts';
import { installProbe, readProbe, resetProbe } from './pageProbe.ts';

const seconds = Number(process.argv[2] ?? 30);
if (!(seconds > 0)) throw new Error(`Seconds of tokens must be a positive number, not "${process.argv[2]}".`);
const tps = 100;
/** The API's limit on `text`: at about 5.6 characters a token, it holds about 35 s at 100 tokens/s. */
const maxText = 20_000;

// Prose cut to the tokens asked for: the server splits it into the same BPE tokens.
const prose = 'Streaming keeps the first words fast while the rest is still being generated. '.repeat(maxText / 50).slice(0, maxText);
const text = tokenize(prose)
  .slice(0, seconds * tps)
  .join('');
const tokensPerLane = tokenize(text).length;
if (tokensPerLane < seconds * tps)
  console.error(`${seconds} s of tokens do not fit in the API's ${maxText} characters: racing ${tokensPerLane} tokens (${tokensPerLane / tps} s).`);

const server = await servePage();
const browser = await launch();
try {
  const page = await openPage(browser, []);
  await installProbe(page);
  await page.goto(`${server.url}/?text=${encodeURIComponent(text)}&tps=${tps}&ttft=0&jitter=0&lanes=sse,ws,http&start=1`);
  const started = Date.now();
  // Page load is not what this measures: start counting once the race is on.
  await page.waitForFunction(() => document.querySelectorAll('.lane').length === 3);
  await resetProbe(page);
  await page.waitForFunction(() => document.querySelector('.lane[data-lane="sse"] .bubble')?.getAttribute('data-status') === 'done', null, {
    timeout: (seconds + 60) * 1000,
    polling: 1000,
  });
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
