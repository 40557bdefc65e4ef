import { readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const sources = ['client', 'shared', 'lessons', 'vite.config.ts', 'package-lock.json'];
const builtPage = path.join(root, 'dist', 'index.html');

/** Newest modification time under the given paths (files and folders, recursively). */
function newest(paths: string[]): number {
  let latest = 0;
  const visit = (p: string): void => {
    if (!existsSync(p)) return;
    const stat = statSync(p);
    latest = Math.max(latest, stat.mtimeMs);
    if (stat.isDirectory()) for (const entry of readdirSync(p)) if (entry !== 'node_modules') visit(path.join(p, entry));
  };
  for (const p of paths) visit(path.join(root, p));
  return latest;
}

/** Builds the page with Vite when dist/ is missing or older than its sources (`npm start`). */
export async function ensureClientBuilt(): Promise<void> {
  if (existsSync(builtPage) && statSync(builtPage).mtimeMs >= newest(sources)) return;
  console.log('  Building the page (first start, or its sources changed)…');
  const { build } = await import('vite');
  await build({ root: path.join(root, 'client'), configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
}
