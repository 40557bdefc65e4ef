/**
 * The server side of `bench/tlsCost.ts`, in its own process so its CPU time is its own: the app
 * on a plain port, on the HTTPS port (TLS ended in JavaScript, both layers tapped), and on
 * Node's own HTTP/2 secure server (TLS and HTTP/2 read natively, where the tap sees nothing).
 * Prints its ports as one JSON line; exits when the bench that started it goes away.
 */
import { createSecureServer } from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp, maxHeaderSize } from '../server/app.ts';
import { tlsCredentials } from '../server/tls/certificate.ts';
import { createHttpsServer, expressForBoth } from '../server/tls/httpsServer.ts';

const listening = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

const credentials = await tlsCredentials({ dir: await mkdtemp(path.join(tmpdir(), 'streamscope-bench-tls-')) }, {});
const streamscope = createApp({ staticDir: null, maxStreamsPerClient: 100_000 });
const secure = createHttpsServer(streamscope, { cert: credentials.cert, key: credentials.key, maxHeaderSize });
const native = createSecureServer(
  { allowHTTP1: true, cert: credentials.cert, key: credentials.key, settings: { maxHeaderListSize: maxHeaderSize } },
  expressForBoth(streamscope.app) as never,
);
(native as unknown as { maxHeaderSize: number }).maxHeaderSize = maxHeaderSize;
const ports = { plain: await listening(streamscope.server), tls: await listening(secure.server), native: await listening(native as unknown as Server) };
console.log(JSON.stringify({ ...ports, ca: credentials.caFile }));
// Started with an IPC channel by tlsCost.ts: gone with it.
process.on('disconnect', () => process.exit(0));
