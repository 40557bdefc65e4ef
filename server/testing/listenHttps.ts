import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { maxHeaderSize, type AppOptions } from '../app.ts';
import { tlsCredentials, type TlsCredentials } from '../tls/certificate.ts';
import { createHttpsServer, type HttpsServer, type HttpsServerOptions } from '../tls/httpsServer.ts';
import { listen, type Listening } from './listen.ts';

export interface ListeningHttps extends Listening {
  https: HttpsServer;
  /** e.g. `https://127.0.0.1:40124` */
  httpsUrl: string;
  httpsPort: number;
  credentials: TlsCredentials;
  /** The made authority, PEM: give it to clients as `ca`. */
  ca: string;
}

/**
 * A real Streamscope server on free loopback ports, plain and TLS, its certificate made in a temp
 * folder. `httpsOptions`: the TLS port's own (its HTTP/1.1 timeouts, say).
 */
export async function listenHttps(options: AppOptions = {}, httpsOptions: Omit<Partial<HttpsServerOptions>, 'cert' | 'key'> = {}): Promise<ListeningHttps> {
  const dir = await mkdtemp(path.join(tmpdir(), 'streamscope-tls-'));
  const credentials = await tlsCredentials({ dir }, {});
  const ca = await readFile(credentials.caFile!, 'utf8');
  const plain = await listen(options);
  const https = createHttpsServer(plain, { maxHeaderSize, ...httpsOptions, cert: credentials.cert, key: credentials.key });
  await new Promise<void>((resolve) => https.server.listen(0, '127.0.0.1', resolve));
  const { port } = https.server.address() as AddressInfo;
  plain.setHttpsPort(port);
  return {
    ...plain,
    https,
    httpsPort: port,
    httpsUrl: `https://127.0.0.1:${port}`,
    credentials,
    ca,
    close: async () => {
      await Promise.all([https.close(), plain.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
