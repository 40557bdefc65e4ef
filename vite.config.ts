import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { lessonPlugin } from './lessons/format/lessonPlugin.ts';

/**
 * What a page or a socket shows a frame or a tick later can take a second on a busy 2-core CI
 * machine (both projects run at once): a poll waits up to 5 s for it (1 s by default).
 */
const patientPolls = { poll: { timeout: 5000 } };

export default defineConfig({
  root: fileURLToPath(new URL('./client', import.meta.url)),
  plugins: [svelte({ configFile: false }), lessonPlugin()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
  },
  test: {
    projects: [
      {
        // Server code, the pure dissectors and the page's run state: plain Node, real sockets.
        // `extends: true` gives it the root's plugins, so the Svelte plugin compiles the runes
        // in `*.svelte.ts` (without it, `$state is not defined` and no run class can be built).
        extends: true,
        test: {
          name: 'unit',
          root: '.',
          environment: 'node',
          include: ['server/**/*.test.ts', 'client/src/**/*.test.ts', 'lessons/**/*.test.ts', 'bench/**/*.test.ts'],
          expect: patientPolls,
        },
      },
      {
        // The built page in the system Chromium, driven by playwright-core.
        test: {
          name: 'browser',
          root: '.',
          environment: 'node',
          include: ['tests/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          expect: patientPolls,
          fileParallelism: false,
        },
      },
    ],
  },
});
