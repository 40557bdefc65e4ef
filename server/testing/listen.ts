import type { AddressInfo } from 'node:net';
import { createApp, type AppOptions, type StreamscopeApp } from '../app.ts';

export interface Listening extends StreamscopeApp {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  port: number;
}

/** A real Streamscope server on a free loopback port, for tests over real sockets. */
export async function listen(options: AppOptions = {}): Promise<Listening> {
  const app = createApp({ staticDir: null, ...options });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  const { port } = app.server.address() as AddressInfo;
  return { ...app, port, url: `http://127.0.0.1:${port}` };
}
