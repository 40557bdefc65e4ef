/**
 * Starts Streamscope: builds the page if its sources changed, then serves page + API on one
 * port, and the same over TLS (HTTP/2 and HTTP/1.1) on `HTTPS_PORT`. The only file that binds a
 * port. `--dev` serves the page through Vite with hot reload.
 */
import { networkInterfaces } from 'node:os';
import { createApp, defaultStaticDir, maxHeaderSize } from './app.ts';
import { tlsCredentials, type TlsCredentials } from './tls/certificate.ts';
import { createHttpsServer, type HttpsServer } from './tls/httpsServer.ts';
import { ensureClientBuilt } from './buildClient.ts';
import { startLabs } from './labs/labs.ts';
import { Presenter } from './classroom/presenter.ts';
import { upstreamFromEnv, type UpstreamConfig } from './upstream/upstream.ts';
import { configuredReplyLogs } from './replies/configuredReplyLogs.ts';
import { configuredClassBus } from './follow/configuredClassBus.ts';

const dev = process.argv.includes('--dev');
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
// `off` serves no HTTPS; 0 takes any free port.
const httpsSetting = (process.env.HTTPS_PORT ?? '3443').trim();
const httpsPort = httpsSetting === 'off' ? null : Number(httpsSetting);
const allowedOrigins = (process.env.STREAMSCOPE_ALLOWED_ORIGINS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const maxStreamsPerClient = Number(process.env.STREAMSCOPE_MAX_STREAMS ?? 50);
// A fixed token survives a restart mid-talk: the presenter's browser keeps its cookie.
const presenterToken = process.env.STREAMSCOPE_PRESENTER_TOKEN?.trim() || undefined;

if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number; got "${process.env.PORT}".`);
if (httpsPort !== null && (!/^\d+$/.test(httpsSetting) || httpsPort > 65535))
  fail(`HTTPS_PORT must be a port number or "off"; got "${process.env.HTTPS_PORT}".`);
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
// With STREAMSCOPE_REDIS_URL, the class too: several processes behind a load balancer serve one class.
const classBus = await configuredClassBus().catch((error: Error) => fail(error.message));
const classroom = !/^(localhost|127(\.\d+){3}|::1)$/i.test(host);
const presenter = new Presenter(presenterToken);
// In a classroom only the presenter may stop a balanced instance for everyone; any other kill is the learner's own.
const labs = await startLabs({
  allowedOrigins,
  nginx: true,
  crash: classroom ? (req) => presenter.isPresenter(req) : undefined,
  sharedReplyLog: replies.lab,
  // The presenter's cookie reaches the balanced instances' ports too: their taps mask its token.
  presenter,
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
  classBus: classBus.bus,
  ...labs.options,
});
// The certificate first: your own files that do not work stop the start with the reason.
let credentials: TlsCredentials | null = null;
if (httpsPort !== null) {
  const own = Boolean(process.env.STREAMSCOPE_TLS_CERT || process.env.STREAMSCOPE_TLS_KEY);
  credentials = await tlsCredentials({ extraNames: classroom ? [...lanAddresses(), ...(/^(0\.0\.0\.0|::)$/.test(host) ? [] : [host])] : [] }).catch(
    (error: Error) => {
      if (own) fail(error.message);
      console.warn(`streamscope: no HTTPS this time, the certificate could not be made: ${error.message}`);
      return null;
    },
  );
}
let https: HttpsServer | undefined;
const httpsListening = new Promise<string[]>((resolve) => {
  if (!credentials || httpsPort === null) return resolve([]);
  const secure = createHttpsServer(streamscope, { cert: credentials.cert, key: credentials.key, maxHeaderSize });
  secure.server.once('error', (error: NodeJS.ErrnoException) => {
    const reason = error.code === 'EADDRINUSE' ? `port ${httpsPort} is in use (another one: HTTPS_PORT=${httpsPort + 1} npm start)` : error.message;
    console.warn(`\n  No HTTPS this time: ${reason}.`);
    resolve([]);
  });
  secure.server.listen(httpsPort, host, () => {
    https = secure;
    const address = secure.server.address();
    const bound = typeof address === 'object' && address ? address.port : httpsPort;
    streamscope.setHttpsPort(bound);
    resolve(
      host === '0.0.0.0' || host === '::'
        ? lanAddresses().map((a) => `https://${a}:${bound}/`)
        : [`https://${host.includes(':') ? `[${host}]` : host}:${bound}/`],
    );
  });
});

streamscope.server.on('error', (error: NodeJS.ErrnoException) => {
  fail(error.code === 'EADDRINUSE' ? `Port ${port} is in use. Start on another one: PORT=${port + 1} npm start` : error.message);
});
streamscope.server.listen(port, host, async () => {
  const secureUrls = await httpsListening;
  const address = streamscope.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const urls =
    host === '0.0.0.0' || host === '::' ? lanAddresses().map((a) => `http://${a}:${bound}/`) : [`http://${host.includes(':') ? `[${host}]` : host}:${bound}/`];
  console.log(`\n  Streamscope ${dev ? '(dev, hot reload) ' : ''}is running:\n`);
  for (const url of urls) console.log(`    ${url}`);
  for (const url of secureUrls) console.log(`    ${url}   (HTTPS: HTTP/2, or HTTP/1.1)`);
  if (secureUrls.length > 0 && credentials) {
    console.log(`\n  TLS certificate SHA-256 ${credentials.fingerprint}`);
    console.log(
      credentials.caFile
        ? `  To trust it, import ${credentials.caFile} as an authority in your browser (or curl --cacert it); or accept the warning once.`
        : `  Your own certificate (STREAMSCOPE_TLS_CERT) for ${credentials.names.join(', ')}.`,
    );
  }
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
  for (const line of [...replies.lines, ...classBus.lines]) console.log(`  ${line}`);
  if (!dev) {
    void labs.startSecondOrigin(bound, defaultStaticDir, host).then((second) => console.log(`  Second origin for the CORS lab: port ${second.port}\n`));
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([streamscope.close(), https?.close(), labs.close(), vite?.close()])
      .then(() => Promise.all([replies.close(), classBus.bus.close()]))
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
