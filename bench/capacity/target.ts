/**
 * The server under test, alone in its process so its CPU and memory can be sampled:
 * `node --import tsx --expose-gc bench/capacity/target.ts <streamscope|bare-sse|bare-ws>`.
 * Listens on a free loopback port, reports it, answers `sample` requests, and exits when the
 * bench that forked it goes away.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../server/app.ts';
import { bareSseServer } from './bareSse.ts';
import { bareWsServer } from './bareWs.ts';
import type { FromTarget, SampleRequest, TargetKind } from './messages.ts';

const kinds: Record<TargetKind, () => Server> = {
  // No stream cap: every benchmarked stream comes from 127.0.0.1.
  streamscope: () => createApp({ maxStreamsPerClient: Number.MAX_SAFE_INTEGER, staticDir: null }).server,
  'bare-sse': () => bareSseServer(),
  'bare-ws': () => bareWsServer(),
};

const kind = process.argv[2] as TargetKind;
const make = kinds[kind];
if (!make || !process.send) {
  console.error(`target: run me with fork() and one of ${Object.keys(kinds).join(', ')}; got ${JSON.stringify(process.argv[2])}.`);
  process.exit(2);
}
const tell = (message: FromTarget): void => void process.send?.(message);

const server = make();
server.listen(0, '127.0.0.1', () => tell({ type: 'ready', port: (server.address() as AddressInfo).port }));
process.on('message', (message: SampleRequest) => {
  if (message.type !== 'sample') return;
  if (message.gc) globalThis.gc?.();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  tell({ type: 'sample', cpuMicros: cpu.user + cpu.system, wallMs: performance.now(), rss: memory.rss, heapUsed: memory.heapUsed });
});
process.on('disconnect', () => process.exit(0));
