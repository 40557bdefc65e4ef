/**
 * One of the hall's load processes, apart from the server so the server is measured alone: it
 * opens its share of the followers (real HTTP connections to `GET /api/follow/run`), one of them
 * also plays the presenter (POSTs the run in batches every 200 ms, as the page does), and each
 * records which batch reached which of its followers when. Every process reads the same clock,
 * the machine's (`performance.timeOrigin + performance.now()`, ms since epoch), so a batch's
 * lateness is its arrival minus the `sentAt` the presenter put in it; the parent checks how far
 * apart the processes' clocks are (`clock`). Also the "run it yourself" load: every follower
 * runs the step's four streams and holds a tap subscription. Exits when the bench goes away.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { broadcastPath, type BroadcastRecord } from '../../shared/broadcast.ts';
import { hallCookie as hallCookieName } from '../../server/hall/hallNginxConfig.ts';
import { spread } from '../stats.ts';
import { openStream, type StreamRecord } from '../capacity/clients.ts';
import { openTap, type TapReader } from '../capacity/tapReader.ts';
import { dueTimes, startMessage, workloadQuery } from '../capacity/workload.ts';
import type { Transport } from '../capacity/messages.ts';
import { BatchScanner, FollowerLog, countLoss } from './delivery.ts';
import type { FollowersPart, PresenterPart } from './loadSplit.ts';
import { PresenterCursor, presenterRecords, publishEveryMs } from './presenterRun.ts';
import type { CollectRequest, FollowRequest, FromLoad, PresentRequest, RunYourselfRequest, RunYourselfResult, ToLoad } from './messages.ts';

const tell = (message: FromLoad): void => void process.send?.(message);
/** The tab's clock as the page reads it (`pageNow`): ms since epoch, sub-ms. */
const now = (): number => performance.timeOrigin + performance.now();

interface Follower {
  log: FollowerLog;
  scanner: BatchScanner;
  req: http.ClientRequest;
  error: string | null;
  /** The response ended (a follower's stream should stay open). */
  ended: boolean;
}

const followers: Follower[] = [];
/** Lateness of each batch at this process's followers, by `seq`. */
const bySeq: number[][] = [];
let port = 0;
/** Once every follower is open, each failure is told to the parent (it counts them with the watchers the server holds). */
let allOpened = false;
/** Where the run's CPU is measured from. */
let runCpu = process.cpuUsage();
let runWallStart = performance.now();

function handle(message: ToLoad): Promise<void> {
  switch (message.type) {
    case 'follow':
      return follow(message);
    case 'present':
      return present(message);
    case 'collect':
      return collect(message);
    case 'clock':
      tell({ type: 'clock', now: now() });
      return Promise.resolve();
    case 'run-yourself':
      return runYourself(message);
  }
}

process.on('message', (message: ToLoad) => {
  handle(message).catch((error: unknown) => tell({ type: 'failed', detail: error instanceof Error ? error.message : String(error) }));
});
process.on('disconnect', () => process.exit(0));

function openFollower(): Follower {
  const follower: Follower = { log: new FollowerLog(), scanner: new BatchScanner(), req: null as unknown as http.ClientRequest, error: null, ended: false };
  const onBatch = (seq: number, sentAt: number): void => {
    if (follower.log.receive(seq)) (bySeq[seq] ??= []).push(now() - sentAt);
  };
  const failed = (error: string | null, ended: boolean): void => {
    const erred = follower.error !== null;
    follower.error ??= error;
    follower.ended ||= ended;
    // Only errors count as failing to connect (a stream that ends is counted after the run).
    if (allOpened && !erred && follower.error !== null) tellFollowing();
  };
  follower.req = http.get({ host: '127.0.0.1', port, path: broadcastPath, agent: false, headers: { Accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) {
      failed(`HTTP ${res.statusCode}`, false);
      res.destroy();
      return;
    }
    res.on('data', (piece: Buffer) => follower.scanner.feed(piece, onBatch));
    res.on('close', () => failed(null, true));
    res.on('error', () => {});
  });
  follower.req.on('error', (error) => failed(error.message, false));
  return follower;
}

function tellFollowing(): void {
  tell({ type: 'following', failed: followers.filter((f) => f.error !== null).length, errors: errorCounts(followers.map((f) => f.error)) });
}

function errorCounts(errors: (string | null)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const error of errors) if (error !== null) counts[error] = (counts[error] ?? 0) + 1;
  return counts;
}

async function follow(request: FollowRequest): Promise<void> {
  port = request.port;
  const start = performance.now();
  while (followers.length < request.followers) {
    const due = Math.min(request.followers, Math.floor(((performance.now() - start) / request.rampMs) * request.followers) + 1);
    while (followers.length < due) followers.push(openFollower());
    await sleep(5);
  }
  allOpened = true;
  tellFollowing();
}

/** One POST of a batch; resolves with its status (0 when it failed to go). */
function post(token: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: broadcastPath,
        method: 'POST',
        agent: postAgent,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...(hallCookie ? { Cookie: hallCookie } : {}),
        },
      },
      (res) => {
        // Behind a hall's nginx, the presenter's page keeps the cookie that holds it to one
        // process (hallNginxConfig.ts); without it, each batch would land on any process.
        const kept = res.headers['set-cookie']?.find((c) => c.startsWith(`${hallCookieName}=`));
        if (kept) hallCookie = kept.split(';')[0];
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
const postAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
/** The presenter's hall cookie (`name=value`), once a hall's nginx has set it. */
let hallCookie: string | undefined;

async function present(request: PresentRequest): Promise<void> {
  port = request.port;
  runCpu = process.cpuUsage();
  runWallStart = performance.now();
  if (!request.presenter) return;
  const run = `hall-${Date.now().toString(36)}`;
  const startedAt = now();
  const cursor = new PresenterCursor(presenterRecords({ id: run, tps: request.tps, durationMs: request.durationMs, startedAt }));
  const marksFrom = performance.now();
  const marks = request.marks.map((at, index) => setTimeout(() => tell({ type: 'mark', index }), at));
  const posts: number[] = [];
  const sentAts: number[] = [];
  const refused: Record<string, number> = {};
  let seq = 0;
  let records = 0;
  let bytes = 0;
  // Like the page (`publishRuns` in client/src/app/broadcastChannel.ts): a batch every
  // publishEveryMs while the run is live, the next only once the last is answered; a batch that
  // failed to go, or got 503 or 429, is sent again; any other refusal ends the broadcast, and so
  // do 25 retries in a row (5 s: the server is gone).
  let pending: BroadcastRecord[] | null = null;
  let retries = 0;
  for (let tick = 1; !cursor.done || pending; tick++) {
    await sleep(Math.max(0, startedAt + tick * publishEveryMs - now()));
    pending ??= cursor.take(now() - startedAt);
    if (!pending.length) {
      pending = null;
      continue;
    }
    const sentAt = now();
    const body = JSON.stringify({ run, seq, sentAt, records: pending });
    const status = await post(request.token, body);
    posts.push(now() - sentAt);
    if (status === 204) {
      sentAts[seq] = sentAt;
      seq++;
      records += pending.length;
      bytes += body.length;
      pending = null;
      retries = 0;
    } else {
      refused[String(status)] = (refused[String(status)] ?? 0) + 1;
      if ((status !== 0 && status !== 503 && status !== 429) || ++retries >= 25) break;
    }
  }
  // The last mark is the run's end, and the last batch may go just before it: the server is
  // sampled at every mark, so wait for them all.
  await sleep(Math.max(0, marksFrom + Math.max(0, ...request.marks) - performance.now()) + 5);
  for (const timer of marks) clearTimeout(timer);
  const part: PresenterPart = { published: seq, refused, records, bytes, post: spread(Float64Array.from(posts)), startedAt, sentAt: sentAts };
  tell({ type: 'presented', part });
}

/** Every follower here should get the last batch soon; wait for it, or for the grace to pass, then tell what they got. */
async function collect(request: CollectRequest): Promise<void> {
  const { published } = request;
  const graceEnd = performance.now() + request.graceMs;
  while (performance.now() < graceEnd && followers.some((f) => f.error === null && !f.ended && published > 0 && !f.log.has(published - 1))) await sleep(20);
  const used = process.cpuUsage(runCpu);
  const part: FollowersPart = {
    followers: followers.length,
    failed: followers.filter((f) => f.error !== null || f.ended).length,
    errors: errorCounts(followers.map((f) => f.error ?? (f.ended ? 'stream ended' : null))),
    bySeq: Array.from({ length: bySeq.length }, (_, seq) => bySeq[seq] ?? []),
    loss: countLoss(
      followers.map((f) => f.log),
      published,
    ),
    full: followers.reduce((n, f) => n + f.scanner.full, 0),
    cpuPercent: ((used.user + used.system) / 1000 / (performance.now() - runWallStart)) * 100,
  };
  tell({ type: 'collected', part });
}

/** The four lanes each follower runs itself. The OpenAI-style lane (POST + SSE) is run as a second SSE stream: same reply log, same SSE writer. */
const ownLanes: Transport[] = ['sse', 'ws', 'http', 'sse'];

async function runYourself(request: RunYourselfRequest): Promise<void> {
  port = request.port;
  const marks = request.marks.map((at, index) => setTimeout(() => tell({ type: 'mark', index }), at));
  const cpu = process.cpuUsage();
  const wallStart = performance.now();
  const streams: { record: StreamRecord; transport: Transport }[] = [];
  const taps: Promise<TapReader | null>[] = [];
  const due = dueTimes(workloadQuery(request.durationMs, request.tps, 'x'));
  const start = performance.now();
  let opened = 0;
  while (opened < request.followers) {
    const dueNow = Math.min(request.followers, Math.floor(((performance.now() - start) / request.rampMs) * request.followers) + 1);
    for (; opened < dueNow; opened++) {
      const run = `own-${opened}`;
      const query = workloadQuery(request.durationMs, request.tps, run);
      taps.push(openTap(port, run, false).catch(() => null));
      const endpoint = { port, query, start: startMessage(query), tokens: due.length };
      for (const transport of ownLanes) streams.push({ record: openStream(transport, endpoint), transport });
    }
    await sleep(5);
  }
  const last = due.at(-1) ?? 0;
  const watchdog = setInterval(() => {
    for (const { record } of streams)
      if (performance.now() > record.t0 + last + request.graceMs) record.abort(`not finished ${request.graceMs / 1000} s after its last token was due`);
  }, 250);
  await Promise.all(streams.map((s) => s.record.settled));
  clearInterval(watchdog);
  for (const timer of marks) clearTimeout(timer);
  const readers = await Promise.all(taps);
  for (const tap of readers) tap?.close();
  const samples: number[] = [];
  let lost = 0;
  for (const { record, transport } of streams) {
    lost += due.length - record.received;
    // A buffered reply arrives whole with its last token; the streams, token by token.
    const indexes = transport === 'http' ? [due.length - 1] : due.keys();
    for (const i of indexes) {
      const arrived = record.arrived[i]!;
      if (!Number.isNaN(arrived)) samples.push(arrived - record.t0 - due[i]!);
    }
  }
  const used = process.cpuUsage(cpu);
  const result: RunYourselfResult = {
    followers: request.followers,
    streams: streams.length,
    failed: streams.filter((s) => s.record.error !== null).length + readers.filter((r) => r === null).length,
    errors: errorCounts([...streams.map((s) => s.record.error), ...readers.map((r) => (r === null ? 'tap refused' : null))]),
    tokensPerStream: due.length,
    lost,
    lateness: spread(Float64Array.from(samples)),
    tapBytes: readers.reduce((n, r) => n + (r?.bytes ?? 0), 0),
    tapDropped: readers.reduce((n, r) => n + (r?.dropped ?? 0), 0),
    clientCpuPercent: ((used.user + used.system) / 1000 / (performance.now() - wallStart)) * 100,
  };
  tell({ type: 'ran', result });
}
