/**
 * axe-core in Chromium: the page's own CSP blocks injected scripts (as it should), so axe runs
 * in a context that bypasses CSP; the CSP header itself stays (see csp.test.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The WCAG 2.0 and 2.1 success criteria at levels A and AA. */
export const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface Finding {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/** A context that lets axe in, with the page's colour scheme and size. */
export async function axeContext(browser: Browser, options: { dark?: boolean; width?: number; height?: number } = {}): Promise<BrowserContext> {
  return browser.newContext({
    bypassCSP: true,
    viewport: { width: options.width ?? 1280, height: options.height ?? 720 },
    colorScheme: options.dark ? 'dark' : 'light',
  });
}

export interface Undecided {
  mark: string;
  target: string;
}

export interface Audit {
  /** axe's serious and critical violations of WCAG 2.1 A/AA. */
  serious: Finding[];
  /** Nodes whose colour contrast axe could not decide (see contrast.ts): a selector for each as marked now, and axe's. */
  contrastUndecided: Undecided[];
}

/** axe on the page as it is now. */
export async function audit(page: Page): Promise<Audit> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const found = await page.evaluate(async (tags) => {
    interface Result {
      id: string;
      impact: string;
      help: string;
      nodes: { target: string[]; element?: HTMLElement }[];
    }
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Result[]; incomplete: Result[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations', 'incomplete'], elementRef: true });
    // Marked now, while they are the nodes axe saw: a live page re-renders them (contrast.ts).
    const undecided = result.incomplete.filter((v) => v.id === 'color-contrast').flatMap((v) => v.nodes);
    for (const old of document.querySelectorAll('[data-contrast-undecided]')) old.removeAttribute('data-contrast-undecided');
    undecided.forEach((n, i) => n.element?.setAttribute('data-contrast-undecided', String(i)));
    return {
      violations: result.violations.map((v) => ({ rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })),
      contrastUndecided: undecided.map((n, i) => ({ mark: `[data-contrast-undecided="${i}"]`, target: n.target.join(' ') })),
    };
  }, wcagTags);
  return { serious: found.violations.filter((f) => f.impact === 'serious' || f.impact === 'critical'), contrastUndecided: found.contrastUndecided };
}
