/**
 * Bundle: the JavaScript and CSS a first visit loads (the entry script, its module preloads and
 * the stylesheets index.html links), gzipped with node:zlib, from a build in a temporary folder.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildPage } from '../tests/browser/browser.ts';
import { format, type Figure, type Log, type SectionResult } from './figures.ts';
import { ratio } from './stats.ts';

export async function bundle(_config: unknown, log: Log): Promise<SectionResult> {
  log('bundle: building the page into a temporary folder');
  const outDir = await buildPage();
  try {
    const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
    const assets = initialAssets(html);
    const sizes = { js: { raw: 0, gzip: 0, files: [] as string[] }, css: { raw: 0, gzip: 0, files: [] as string[] } };
    for (const asset of assets) {
      const bytes = readFileSync(path.join(outDir, asset.href));
      const size = sizes[asset.kind];
      size.raw += bytes.length;
      size.gzip += gzipSync(bytes).length;
      size.files.push(asset.href);
    }
    if (sizes.js.files.length === 0) throw new Error('index.html links no script: did the build change shape?');
    log(`bundle: JS ${format(sizes.js.gzip / 1024)} KB gzipped (${sizes.js.files.join(', ')}), CSS ${format(sizes.css.gzip / 1024)} KB gzipped`);
    const figures: Figure[] = (['js', 'css'] as const).map((kind) => ({
      section: 'bundle',
      name: `initial ${kind.toUpperCase()}, gzipped`,
      value: sizes[kind].gzip / 1024,
      unit: 'KB',
      baseline: { label: 'not gzipped', value: sizes[kind].raw / 1024 },
      ratio: ratio(sizes[kind].gzip, sizes[kind].raw),
    }));
    return { figures, details: sizes };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** The assets index.html makes the browser fetch before the page runs. */
function initialAssets(html: string): { kind: 'js' | 'css'; href: string }[] {
  const assets: { kind: 'js' | 'css'; href: string }[] = [];
  for (const [tag] of html.matchAll(/<(script|link)\b[^>]*>/g)) {
    const url = /\b(?:src|href)="([^"]+)"/.exec(tag)?.[1];
    if (!url || /^[a-z]+:/i.test(url)) continue;
    const href = url.replace(/^\.?\//, '');
    if (tag.startsWith('<script') && /type="module"/.test(tag)) assets.push({ kind: 'js', href });
    else if (/rel="modulepreload"/.test(tag)) assets.push({ kind: 'js', href });
    else if (/rel="stylesheet"/.test(tag)) assets.push({ kind: 'css', href });
  }
  return assets;
}
