import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { Problem, sendProblem } from '../../problem.ts';
import { giveLearnerId } from '../learner.ts';

export interface SecondOriginOptions {
  /**
   * Interface to listen on: the main server's, so the page is reached by the same host name on
   * both ports. The two origins are then cross-origin but same-site: cookies with
   * `SameSite=Lax` still travel (a port is not part of a site). @default '127.0.0.1'
   */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
}

export interface SecondOrigin {
  /** e.g. `http://127.0.0.1:5174` (for `host` 0.0.0.0 or ::, use the machine's addresses with `port`). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The `<meta>` the second origin adds to the page, naming the origin its requests go to. */
export const mainOriginMeta = 'streamscope-main-origin';

/**
 * Serves the built page on a second port: another origin (scheme, host and port must all
 * match), so everything the page loaded from there asks of the main server is cross-origin, and
 * the CORS and WebSocket Origin labs can show what the browser blocks and what it does not.
 * The page finds the main server's origin in `<meta name="streamscope-main-origin">`: the host
 * name the browser used for this origin, on `mainPort`. This origin serves no API of its own.
 */
export async function startSecondOrigin(
  mainPort: number,
  staticDir: string,
  { host = '127.0.0.1', port = 0 }: SecondOriginOptions = {},
): Promise<SecondOrigin> {
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const mainOrigin = (req: express.Request): string => `http://${req.hostname}:${mainPort}`;

  const app = express();
  app.disable('x-powered-by');
  app.all('/api/{*rest}', (req, res) => {
    sendProblem(res, new Problem(404, `This origin only serves the page; the API is at ${mainOrigin(req)}.`));
  });
  const page: express.RequestHandler = async (req, res, next) => {
    try {
      const html = await readFile(path.join(staticDir, 'index.html'), 'utf8');
      const meta = `<meta name="${mainOriginMeta}" content="${mainOrigin(req)}">`;
      res
        .type('html')
        .set('Cache-Control', 'no-cache')
        .send(/<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => `${head}\n    ${meta}`) : `${meta}\n${html}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return next(error);
      res.status(404).type('text').send(`No page in ${staticDir}: build it first (npm run build).`);
    }
  };
  // A cookie belongs to a host, not a port: one given here rides to the main origin too.
  app.use(giveLearnerId);
  app.get(['/', '/index.html'], page);
  app.use(express.static(staticDir, { index: false }));
  // Deep links (/lessons/…) are the page's own routes.
  app.get('/{*splat}', page);

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
