/**
 * Starts Streamscope: builds the page if its sources changed, then serves page + API on one
 * port. The only file that binds a port. `--dev` serves the page through Vite with hot reload.
 */
import { networkInterfaces } from 'node:os';
import { createApp, defaultStaticDir } from './app.ts';
import { ensureClientBuilt } from './buildClient.ts';
import { startLabs } from './labs/labs.ts';
import { Presenter } from './classroom/presenter.ts';
import { upstreamFromEnv, type UpstreamConfig } from './upstream/upstream.ts';
import { configuredReplyLogs } from './replies/configuredReplyLogs.ts';

const dev = process.argv.includes('--dev');
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const allowedOrigins = (process.env.STREAMSCOPE_ALLOWED_ORIGINS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const maxStreamsPerClient = Number(process.env.STREAMSCOPE_MAX_STREAMS ?? 50);
// A fixed token survives a restart mid-talk: the presenter's browser keeps its cookie.
const presenterToken = process.env.STREAMSCOPE_PRESENTER_TOKEN?.trim() || undefined;

if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number; got "${process.env.PORT}".`);
if (presenterToken !== undefined && !/^[A-Za-z0-9_-]{8,128}$/.test(presenterToken))
  fail('STREAMSCOPE_PRESENTER_TOKEN must be 8 to 128 letters, digits, "-" or "_".');
if (!Number.isInteger(maxStreamsPerClient) || maxStreamsPerClient < 1)
  fail(`STREAMSCOPE_MAX_STREAMS must be a positive integer; got "${process.env.STREAMSCOPE_MAX_STREAMS}".`);
// A real model behind Streamscope (STREAMSCOPE_UPSTREAM_URL, _KIND, _KEY); its key is never printed.
let upstream: UpstreamConfig | undefined;
try {
  upstream = upstreamFromEnv();
} catch (error) {
  fail((error as Error).message);
}

let pageMiddleware;
let vite: { close(): Promise<void> } | undefined;
if (dev) {
  const { createServer } = await import('vite');
  const server = await createServer({ server: { middlewareMode: true, hmr: { port: port + 1 } }, appType: 'spa' });
  vite = server;
  pageMiddleware = server.middlewares;
} else {
  await ensureClientBuilt();
}

// Before the labs: their instances share this log when a learner switches the lab's log to shared.
const replies = await configuredReplyLogs().catch((error: Error) => fail(error.message));
const classroom = !/^(localhost|127(\.\d+){3}|::1)$/i.test(host);
const presenter = new Presenter(presenterToken);
// In a classroom only the presenter may stop a balanced instance for everyone; any other kill is the learner's own.
const labs = await startLabs({
  allowedOrigins,
  nginx: true,
  crash: classroom ? (req) => presenter.isPresenter(req) : undefined,
  sharedReplyLog: replies.lab,
});
const streamscope = createApp({
  allowedOrigins,
  maxStreamsPerClient,
  pageMiddleware,
  staticDir: dev ? null : defaultStaticDir,
  classroom,
  presenter,
  ...(upstream ? { upstream } : {}),
  replyLog: replies.app,
  ...labs.options,
});
streamscope.server.on('error', (error: NodeJS.ErrnoException) => {
  fail(error.code === 'EADDRINUSE' ? `Port ${port} is in use. Start on another one: PORT=${port + 1} npm start` : error.message);
});
streamscope.server.listen(port, host, () => {
  const address = streamscope.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const urls =
    host === '0.0.0.0' || host === '::' ? lanAddresses().map((a) => `http://${a}:${bound}/`) : [`http://${host.includes(':') ? `[${host}]` : host}:${bound}/`];
  console.log(`\n  Streamscope ${dev ? '(dev, hot reload) ' : ''}is running:\n`);
  for (const url of urls) console.log(`    ${url}`);
  if (host === '127.0.0.1' || host === 'localhost') console.log('\n  Only this machine can open it. For a classroom network: HOST=0.0.0.0 npm start');
  console.log(`\n  Lessons:   ${urls[0]}lessons`);
  console.log(`  Presenter: ${urls[0]}present?token=${streamscope.presenter.token}   (keep this one to yourself: it drives the class)`);
  console.log(`  Audience:  ${urls[0]}follow   (students' views follow your steps in presenter mode)`);
  console.log(`\n  Try:  curl -N "${urls[0]}api/stream/sse?tps=5"`);
  console.log(
    streamscope.upstream
      ? `  Upstream: ${streamscope.upstream.describe()}; its models are upstream/<id> (GET /v1/models lists them)`
      : '  Upstream: none (set STREAMSCOPE_UPSTREAM_URL to put a real model behind Streamscope)',
  );
  console.log(
    `  Load-balancer lab: instances ${labs.lb
      .state()
      .instances.map((i) => `${i.id} on port ${i.port}`)
      .join(', ')}; balanced under /lb/`,
  );
  console.log(
    labs.nginx
      ? `  The same instances behind real nginx: ${labs.nginx.url}/ (round robin), ${labs.nginx.url}/sticky/ (cookie hash)`
      : `  No nginx in front of the lab: ${labs.nginxSkipped}`,
  );
  for (const line of replies.lines) console.log(`  ${line}`);
  if (!dev) {
    void labs.startSecondOrigin(bound, defaultStaticDir, host).then((second) => console.log(`  Second origin for the CORS lab: port ${second.port}\n`));
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([streamscope.close(), labs.close(), vite?.close()])
      .then(() => replies.close())
      .then(() => process.exit(0));
  });
}

function lanAddresses(): string[] {
  const found = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4')
    .map((a) => a!.address);
  return found.length ? found : ['127.0.0.1'];
}

function fail(message: string): never {
  console.error(`streamscope: ${message}`);
  process.exit(1);
}
