import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { build } from 'vite';
import { listen, type Listening } from '../../server/testing/listen.ts';
import type { AppOptions } from '../../server/app.ts';
import { startLabs, type Labs } from '../../server/labs/labs.ts';

const root = path.resolve(import.meta.dirname, '../..');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let built: Promise<string> | undefined;
/** Builds the page once per test process into a temporary folder (dist/ is left alone). */
export function buildPage(): Promise<string> {
  built ??= (async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'streamscope-page-'));
    await build({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'silent', build: { outDir, emptyOutDir: true } });
    return outDir;
  })();
  return built;
}

/** The built page served by a real Streamscope server on a loopback port. */
export async function servePage(options: AppOptions = {}): Promise<Listening> {
  return listen({ ...options, staticDir: await buildPage() });
}

/** The system Chromium, headless, with the flags this closed network needs (and `extraArgs`, e.g. `--ignore-certificate-errors`). */
export async function launch(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** A new page that fails the test on any console error or uncaught exception. */
export async function openPage(browser: Browser, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return page;
}

export interface LabSetup {
  labs: Labs;
  server: Listening;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** The page served with every lab running, and a Chromium page to drive it. */
export async function serveLabs(options: AppOptions = {}, errors: string[] = []): Promise<LabSetup> {
  const labs = await startLabs();
  const [server, browser] = await Promise.all([servePage({ ...options, ...labs.options }), launch()]);
  const page = await openPage(browser, errors);
  return {
    labs,
    server,
    browser,
    page,
    async close() {
      await browser.close();
      await server.close();
      await labs.close();
    },
  };
}

/** A lane's reply as its source text: the bubble's Raw view (the rendered markdown drops its markers). */
export async function replySource(lane: Locator): Promise<string | null> {
  const raw = lane.getByRole('button', { name: 'Raw' });
  if ((await raw.getAttribute('aria-pressed')) !== 'true') await raw.click();
  return lane.getByTestId('reply').evaluate((el) => el.textContent);
}
