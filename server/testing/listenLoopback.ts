import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A test's own `node:http` server (a fake upstream) on a free loopback port. Its `close` cuts the
 * connections still open, so a test that ends mid-stream does not wait for them.
 */
export async function listenLoopback(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, close };
}
