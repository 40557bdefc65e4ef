/**
 * Records a lesson step's run in the real page and saves it into the lesson's folder, as the
 * recording that stands in when the step's lab cannot run live (no server, a lab switched off).
 * Run: npm run record-lesson -- <NN-slug folder> <step, from 1> [file name, default recording.json]
 * Then name the file in the lesson's frontmatter: `recording: recording.json`.
 *
 * A `run: upstream` step records a real model's stream: the model the environment configures
 * (`STREAMSCOPE_UPSTREAM_URL`, `_KIND`, `_KEY`, as for `npm start`), or else the fake model of
 * `server/testing/fakeModel.ts` (made-up timing; the lesson must say so). For lesson 8 from Ollama:
 *   STREAMSCOPE_UPSTREAM_URL=http://127.0.0.1:11434/v1 npm run record-lesson -- 08-real-apis 4
 * The key never lands in the file: the export masks it, byte for byte.
 */
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { serveLabs } from '../tests/browser/browser.ts';
import { readLesson } from '../lessons/format/parseLesson.ts';
import { stepState } from '../client/src/lessons/lesson.ts';
import { upstreamFromEnv, type UpstreamConfig } from '../server/upstream/upstream.ts';
import { fakeModel, type FakeModel } from '../server/testing/fakeModel.ts';

const [folder, step = '1', file = 'recording.json'] = process.argv.slice(2);
const match = /^\d{2}-(.+)$/.exec(folder ?? '');
if (!match) {
  console.error('Usage: npm run record-lesson -- <NN-slug folder, e.g. 06-scaling> <step> [file]');
  process.exit(1);
}
const state = stepState(readLesson(folder!), Number(step) - 1);
let upstream: UpstreamConfig | undefined = upstreamFromEnv();
let fake: FakeModel | undefined;
if (state.run === 'upstream' && !upstream) {
  fake = await fakeModel();
  upstream = { url: `${fake.url}/v1`, kind: 'openai' };
  console.log('No STREAMSCOPE_UPSTREAM_URL: recording the fake model (made-up timing).');
}
const setup = await serveLabs(upstream ? { upstream } : {});
try {
  const { page, server } = setup;
  await page.goto(`${server.url}/lessons/${match[1]}/${step}`);
  await page.waitForSelector('#step-title');
  // A prediction holds the run back until it is answered.
  if (await page.locator('.predict .choice').count()) await page.locator('.predict .choice').first().click();
  await page.waitForSelector('.lane');
  await page.locator('header button', { hasText: 'Settings' }).click();
  const exportButton = page.locator('button', { hasText: 'Export' });
  await exportButton.and(page.locator(':enabled')).waitFor({ timeout: 120_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
  const target = path.resolve(import.meta.dirname, '../lessons', folder!, file);
  await copyFile(await download.path(), target);
  console.log(`Saved ${path.relative(process.cwd(), target)}`);
} finally {
  await setup.close();
  await fake?.close();
}
