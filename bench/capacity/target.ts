/**
 * The server under test, alone in its process so its CPU and memory can be sampled:
 * `node --import tsx --expose-gc bench/capacity/target.ts <streamscope|streamscope-redis|streamscope-https|streamscope-follow|bare-broadcast|bare-sse|bare-ws> [redis URL | presenter token]`.
 * Listens on a free loopback port, reports it, answers `sample` requests, and exits when the
 * bench that forked it goes away. `streamscope-redis` keeps its reply log on the Redis at the
 * URL (the bench's own redis-server) and reports the log's counters with each sample;
 * `streamscope-https` also listens on an HTTPS port (TLS ended in JavaScript, both layers
 * tapped, HTTP/2 by ALPN) and reports it as `tlsPort`. `streamscope-follow` is the hall's server
 * (bench/hall/): the presenter's token is the second argument, and the follow channel holds any
 * number of followers; `bare-broadcast` its baseline (bench/hall/bareBroadcast.ts), with the token likewise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { createApp, maxHeaderSize } from '../../server/app.ts';
import { Presenter } from '../../server/classroom/presenter.ts';
import { tlsCredentials } from '../../server/tls/certificate.ts';
import { createHttpsServer } from '../../server/tls/httpsServer.ts';
import { RedisReplyLog } from '../../server/replies/redisReplyLog.ts';
import { bareSseServer } from './bareSse.ts';
import { bareWsServer } from './bareWs.ts';
import { bareBroadcastServer } from '../hall/bareBroadcast.ts';
import type { FromTarget, RedisCounts, SampleRequest, TargetKind } from './messages.ts';

interface Made {
  server: Server;
  /** The reply log's Redis counters, for a target whose log is on Redis. */
  redis?: () => RedisCounts;
  /** The HTTPS port's listener, for `streamscope-https`. */
  tls?: NetServer;
}

// No stream cap: every benchmarked stream comes from 127.0.0.1.
const maxStreamsPerClient = Number.MAX_SAFE_INTEGER;

const kinds: Record<TargetKind, () => Promise<Made>> = {
  streamscope: async () => ({ server: createApp({ maxStreamsPerClient, staticDir: null }).server }),
  'streamscope-redis': async () => {
    const url = process.argv[3];
    if (!url) throw new Error('streamscope-redis needs the Redis URL as its second argument');
    const replyLog = await RedisReplyLog.connect(url);
    const counts = (): RedisCounts => {
      const { roundTrips, commands, pipelines, appended, tailReads, connectionsOpened } = replyLog.stats;
      return { roundTrips, commands, pipelines, appended, tailReads, connectionsOpened };
    };
    return { server: createApp({ maxStreamsPerClient, staticDir: null, replyLog }).server, redis: counts };
  },
  'streamscope-follow': async () => {
    const token = process.argv[3];
    if (!token) throw new Error("streamscope-follow needs the presenter's token as its second argument");
    const follow = { maxFollowers: Number.MAX_SAFE_INTEGER };
    return { server: createApp({ maxStreamsPerClient, staticDir: null, presenter: new Presenter(token), follow }).server };
  },
  'bare-broadcast': async () => {
    const token = process.argv[3];
    if (!token) throw new Error("bare-broadcast needs the presenter's token as its second argument");
    return { server: bareBroadcastServer(token) };
  },
  'streamscope-https': async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'streamscope-bench-tls-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const credentials = await tlsCredentials({ dir }, {});
    const streamscope = createApp({ maxStreamsPerClient, staticDir: null });
    const https = createHttpsServer(streamscope, { cert: credentials.cert, key: credentials.key, maxHeaderSize });
    return { server: streamscope.server, tls: https.server };
  },
  'bare-sse': async () => ({ server: bareSseServer() }),
  'bare-ws': async () => ({ server: bareWsServer() }),
};

const kind = process.argv[2] as TargetKind;
const make = kinds[kind];
if (!make || !process.send) {
  console.error(`target: run me with fork() and one of ${Object.keys(kinds).join(', ')}; got ${JSON.stringify(process.argv[2])}.`);
  process.exit(2);
}
const tell = (message: FromTarget): void => void process.send?.(message);

let made: Made;
try {
  made = await make();
} catch (error) {
  console.error(`target ${kind}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const { server, redis, tls } = made;
const listening = (s: NetServer): Promise<number> => new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
const port = await listening(server);
tell({ type: 'ready', port, ...(tls ? { tlsPort: await listening(tls) } : {}) });
process.on('message', (message: SampleRequest) => {
  if (message.type !== 'sample') return;
  if (message.gc) globalThis.gc?.();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  tell({
    type: 'sample',
    cpuMicros: cpu.user + cpu.system,
    wallMs: performance.now(),
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    ...(redis ? { redis: redis() } : {}),
  });
});
process.on('disconnect', () => process.exit(0));
// The bench stops a target with SIGTERM: exit normally, so a `--cpu-prof` profile is written.
process.once('SIGTERM', () => process.exit(0));
