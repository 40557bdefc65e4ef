/**
 * One class served by two processes sharing one Redis (a hall, `RedisClassBus`), over real
 * sockets: the presenter moves the class (and blanks the screen) from either process and the
 * followers of both move; a follower on one counts on the other; the presenter's broadcast run,
 * posted batch by batch to either process (as a round-robin balancer sends them), reaches watchers
 * on both, in the same order with the same ids; a late joiner on either gets the run so far; a
 * watcher that reconnects to the other process resumes after its `Last-Event-ID`; and Redis
 * restarting mid-class (empty: it saves nothing) cuts nobody off: the followers get the position
 * again, and the presenter's next batch goes on to every watcher; if it meets a process that never
 * had the run, the page's batches sent again from seq 0 put it back, the same events everywhere;
 * and a move made while Redis is away reaches the followers once it is back (the page sends it again).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisMissing, startRedisServer, type RedisServer } from '../redis/redisServer.ts';
import { startServerProcess, type ServerProcess } from '../hall/processes.ts';
import { sseWatcher, type SseWatcher } from '../testing/sseWatcher.ts';
import { until } from '../testing/until.ts';
import type { BroadcastBatch, BroadcastRecord } from '../../shared/broadcast.ts';
import type { ClassPosition } from '../../shared/follow.ts';
import { movePublisher } from '../../client/src/lessons/follow.ts';
import { answerOf, publishRuns } from '../../client/src/app/broadcastChannel.ts';
import { Run } from '../../client/src/run/Run.svelte.ts';
import { defaultSettings } from '../../client/src/run/settings.ts';

const missing = redisMissing();
const token = 'hall-test-presenter';
const asPresenter = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };

const open: SseWatcher[] = [];
async function watch(url: string, headers: Record<string, string> = {}): Promise<SseWatcher> {
  const w = await sseWatcher(url, headers);
  open.push(w);
  return w;
}

const move = (url: string, position: ClassPosition) => fetch(`${url}/api/follow`, { method: 'POST', headers: asPresenter, body: JSON.stringify(position) });
const post = (url: string, batch: BroadcastBatch) => fetch(`${url}/api/follow/run`, { method: 'POST', headers: asPresenter, body: JSON.stringify(batch) });
const app = (n: number): BroadcastRecord => ({ type: 'app', lane: 'sse', event: { kind: 'token', t: 1000 + n, index: n, text: `t${n}` } });
const batch = (run: string, seq: number, records: BroadcastRecord[]): BroadcastBatch => ({ run, seq, sentAt: 5000 + seq, records });
const positions = (w: SseWatcher) => w.events.filter((e) => e.event === 'position').map((e) => JSON.parse(e.data) as ClassPosition);
const seen = (w: SseWatcher) => w.events.map((e) => [e.id, e.event]);

describe.skipIf(missing !== null)(`one class on two processes sharing one Redis${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: RedisServer;
  let a: ServerProcess;
  let b: ServerProcess;
  let c: ServerProcess | undefined;
  let d: ServerProcess | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const env = { STREAMSCOPE_REDIS_URL: redis.url, STREAMSCOPE_PRESENTER_TOKEN: token };
    [a, b] = await Promise.all([startServerProcess({ env }), startServerProcess({ env })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop(), d?.stop()]);
    await redis?.stop();
  });
  afterEach(() => open.splice(0).forEach((w) => w.close()));

  it('moves the followers of both processes, blank screen too, from either; a late follower gets where the class is; each counts the whole class', async () => {
    const onA = await watch(`${a.url}/api/follow`);
    const onB = await watch(`${b.url}/api/follow`);
    await Promise.all([onA.next(1), onB.next(1)]);
    expect((await move(a.url, { slug: 'why-stream', step: 2, blank: false })).status).toBe(204);
    await Promise.all([onA.next(2), onB.next(2)]);
    expect(positions(onA)).toEqual([{ slug: 'why-stream', step: 2, blank: false }]);
    expect(positions(onB)).toEqual(positions(onA));

    // The presenter's next request reaches the other process: the same token lets it through there.
    expect((await move(b.url, { slug: 'why-stream', step: 2, blank: true })).status).toBe(204);
    await Promise.all([onA.next(3), onB.next(3)]);
    expect(positions(onA).at(-1)).toEqual({ slug: 'why-stream', step: 2, blank: true });
    expect(positions(onB).at(-1)).toEqual({ slug: 'why-stream', step: 2, blank: true });
    // Not the presenter: refused on either process.
    expect((await fetch(`${a.url}/api/follow`, { method: 'POST', body: '{"slug":"x","step":0}' })).status).toBe(403);

    const late = await watch(`${a.url}/api/follow`);
    await late.next(2);
    expect(positions(late)).toEqual([{ slug: 'why-stream', step: 2, blank: true }]);

    // Two follow on a, one on b: both know the class has three (each reports every 2 s).
    const count = async (url: string) => ((await (await fetch(`${url}/api/follow/me`)).json()) as { class: number }).class;
    await until(
      async () => (await count(a.url)) === 3 && (await count(b.url)) === 3,
      async () => `class of 3, counted ${await count(a.url)} on a, ${await count(b.url)} on b`,
    );
    const third = await watch(`${b.url}/api/follow`);
    await third.next(1);
    expect(JSON.parse(third.events[0]!.data)).toEqual({ followers: 4 });
  }, 30_000);

  it('sends the presenter’s run, posted to either process, to watchers on both; a late joiner gets the run so far; a reconnect resumes after Last-Event-ID', async () => {
    const onA = await watch(`${a.url}/api/follow/run`);
    const onB = await watch(`${b.url}/api/follow/run`);
    const start: BroadcastRecord = { type: 'start', id: 'hall-1', settings: { tokens: 4 }, lanes: ['sse'], startedAt: 1000 };
    // Round robin: the batches go to a, b, a.
    expect((await post(a.url, batch('hall-1', 0, [start, app(0)]))).status).toBe(204);
    expect((await post(b.url, batch('hall-1', 1, [app(1)]))).status).toBe(204);
    expect((await post(a.url, batch('hall-1', 2, [app(2)]))).status).toBe(204);
    // A retry on the other process changes nothing; one out of order is refused there too.
    expect((await post(b.url, batch('hall-1', 2, [app(2)]))).status).toBe(204);
    expect((await post(b.url, batch('hall-1', 7, [app(7)]))).status).toBe(409);
    await Promise.all([onA.next(4), onB.next(4)]);
    expect(seen(onA)).toEqual([
      ['hall-1:0', 'run'],
      ['hall-1:1', 'batch'],
      ['hall-1:2', 'batch'],
      ['hall-1:3', 'batch'],
    ]);
    expect(onB.events).toEqual(onA.events);

    const late = await watch(`${b.url}/api/follow/run`);
    await late.next(4);
    expect(late.events).toEqual(onA.events);

    // A watcher of a that reconnects to b with the last id it had gets only what came after.
    onA.close();
    expect((await post(b.url, batch('hall-1', 3, [app(3), { type: 'end' }]))).status).toBe(204);
    const resumed = await watch(`${b.url}/api/follow/run`, { 'Last-Event-ID': 'hall-1:3' });
    await resumed.next(1);
    expect(seen(resumed)).toEqual([['hall-1:4', 'batch']]);
    expect((JSON.parse(resumed.events[0]!.data) as BroadcastBatch).seq).toBe(3);
    // One of another run (or an id it cannot read) gets the current run from its start.
    const stale = await watch(`${a.url}/api/follow/run`, { 'Last-Event-ID': 'an-old-run:9' });
    await stale.next(5);
    expect(seen(stale).map(([id]) => id)).toEqual(['hall-1:0', 'hall-1:1', 'hall-1:2', 'hall-1:3', 'hall-1:4']);
  }, 30_000);

  it('keeps the class through a Redis restart: streams stay open, followers get the position again, the run goes on', async () => {
    expect((await move(a.url, { slug: 'sse-format', step: 1, blank: false })).status).toBe(204);
    const onA = await watch(`${a.url}/api/follow`);
    const onB = await watch(`${b.url}/api/follow`);
    await Promise.all([onA.next(2), onB.next(2)]);
    const start: BroadcastRecord = { type: 'start', id: 'hall-2', settings: {}, lanes: ['sse'], startedAt: 1000 };
    expect((await post(a.url, batch('hall-2', 0, [start]))).status).toBe(204);
    const runA = await watch(`${a.url}/api/follow/run`);
    const runB = await watch(`${b.url}/api/follow/run`);
    await Promise.all([runA.next(2), runB.next(2)]);

    await redis.restart();
    // Each process, reconnected, sends its followers where the class is (Redis came back empty:
    // the processes put it back).
    await Promise.all([onA.next(3, 15_000), onB.next(3, 15_000)]);
    for (const w of [onA, onB])
      expect(positions(w)).toEqual([
        { slug: 'sse-format', step: 1, blank: false },
        { slug: 'sse-format', step: 1, blank: false },
      ]);
    expect(onA.ended || onB.ended || runA.ended || runB.ended).toBe(false);

    // The presenter's next batch (to b, which did not take the first) puts the run back and goes on.
    let status = 0;
    await until(
      async () => (status = (await post(b.url, batch('hall-2', 1, [app(1)]))).status) === 204,
      () => `the batch taken (last ${status})`,
      15_000,
    );
    await Promise.all([runA.next(3), runB.next(3)]);
    expect(seen(runA)).toEqual([
      ['hall-2:0', 'run'],
      ['hall-2:1', 'batch'],
      ['hall-2:2', 'batch'],
    ]);
    expect(runB.events).toEqual(runA.events);
    const late = await watch(`${a.url}/api/follow/run`);
    await late.next(3);
    expect(late.events).toEqual(runA.events);
    // And moves go through again.
    expect((await move(b.url, { slug: 'sse-format', step: 2, blank: false })).status).toBe(204);
    await Promise.all([onA.next(4), onB.next(4)]);
    expect(positions(onA).at(-1)).toEqual({ slug: 'sse-format', step: 2, blank: false });
  }, 60_000);

  it('goes on after Redis comes back empty and the next batch meets a process that never had the run: 409 expected 0, the batches again from seq 0, the same events everywhere', async () => {
    const start: BroadcastRecord = { type: 'start', id: 'hall-3', settings: {}, lanes: ['sse'], startedAt: 1000 };
    const batches = [batch('hall-3', 0, [start, app(0)]), batch('hall-3', 1, [app(1)]), batch('hall-3', 2, [app(2)]), batch('hall-3', 3, [app(3)])];
    expect((await post(a.url, batches[0]!)).status).toBe(204);
    expect((await post(b.url, batches[1]!)).status).toBe(204);
    expect((await post(a.url, batches[2]!)).status).toBe(204);
    const runA = await watch(`${a.url}/api/follow/run`);
    const runB = await watch(`${b.url}/api/follow/run`);
    await Promise.all([runA.next(4), runB.next(4)]);

    await redis.restart();
    // A process started after the loss: it holds none of the run.
    const fresh = await startServerProcess({ env: { STREAMSCOPE_REDIS_URL: redis.url, STREAMSCOPE_PRESENTER_TOKEN: token } });
    c = fresh;
    const runC = await watch(`${fresh.url}/api/follow/run`);
    let refused: Response | undefined;
    await until(
      async () => (refused = await post(fresh.url, batches[3]!)).status === 409,
      () => `a 409 (last ${refused?.status})`,
      15_000,
    );
    expect(await refused!.json()).toMatchObject({ status: 409, param: 'seq', expected: 0 });

    // The presenter's page sends the same batches again from seq 0, round robin: a and b held the
    // run (their repeats put it back into Redis), c takes what is new.
    for (const [i, url] of [a.url, fresh.url, b.url, fresh.url].entries()) {
      let status = 0;
      // A 503 (a process not yet back on Redis) is sent again, as the page does.
      await until(
        async () => (status = (await post(url, batches[i]!)).status) !== 503,
        () => `batch ${i} answered`,
        15_000,
      );
      expect(status).toBe(204);
    }
    await Promise.all([runA.next(5), runB.next(5), runC.next(5)]);
    expect(seen(runA)).toEqual([0, 1, 2, 3].map((i) => [`hall-3:${i}`, i === 0 ? 'run' : 'batch']).concat([['hall-3:4', 'batch']]));
    expect(runB.events).toEqual(runA.events);
    expect(runC.events).toEqual(runA.events);
    // Nothing twice, for anyone.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const w of [runA, runB, runC]) expect(w.events).toHaveLength(5);
  }, 90_000);

  it('the presenter’s page (publishRuns), its batches going round robin, goes on through a Redis restart and a process that never had the run: every watcher gets the same events, once', async () => {
    const run = new Run('hall-4', defaultSettings, ['sse'], 1000);
    let tokens = 0;
    const grow = () => run.lanes[0]!.addApp({ t: 1000 + tokens, kind: 'token', index: tokens, text: `t${tokens++}` });
    let targets = [a.url, b.url];
    let turn = 0;
    const answers: number[] = [];
    const runA = await watch(`${a.url}/api/follow/run`);
    const runB = await watch(`${b.url}/api/follow/run`);
    const watchers = [runA, runB];
    // This run's events (a watcher that came earlier had the run before it first).
    const ofRun = (w: SseWatcher) => w.events.filter((e) => e.id?.startsWith('hall-4:'));
    const allHave = (n: number) =>
      until(
        () => watchers.every((w) => ofRun(w).length >= n),
        () => `${n} events of hall-4 on every watcher (${watchers.map((w) => ofRun(w).length).join(', ')}; answers ${answers.join(', ')})`,
        15_000,
      );
    const stop = publishRuns(
      () => run,
      async (sent) => {
        const answer = await answerOf(await post(targets[turn++ % targets.length]!, sent));
        answers.push(answer.status);
        return answer;
      },
    );
    try {
      // Its first batch (start), then one batch per token: the next grows once the last is taken.
      await allHave(2);
      for (let i = 0; i < 3; i++) {
        grow();
        await allHave(i + 3);
      }
      await redis.restart();
      const fresh = await startServerProcess({ env: { STREAMSCOPE_REDIS_URL: redis.url, STREAMSCOPE_PRESENTER_TOKEN: token } });
      d = fresh;
      watchers.push(await watch(`${fresh.url}/api/follow/run`));
      // The next batch meets the new process first: a 409, then the run again from seq 0.
      targets = [fresh.url, a.url, b.url];
      turn = 0;
      grow();
      await allHave(6);
      expect(answers).toContain(409);
      grow();
      run.state = 'ended';
      await allHave(7);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(ofRun(runA).map((e) => [e.id, e.event])).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [`hall-4:${i}`, i === 0 ? 'run' : 'batch']));
      for (const w of watchers) expect(ofRun(w)).toEqual(ofRun(runA));
      expect(JSON.parse(ofRun(runA).at(-1)!.data)).toMatchObject({ seq: 5, records: [expect.anything(), { type: 'end' }] });
    } finally {
      stop();
    }
  }, 90_000);

  it('a move the presenter’s page makes while Redis is away reaches the followers once it is back', async () => {
    const onA = await watch(`${a.url}/api/follow`);
    const onB = await watch(`${b.url}/api/follow`);
    await Promise.all([onA.next(2), onB.next(2)]);
    const statuses: number[] = [];
    // The page's own publisher, over HTTP to process a.
    const publish = movePublisher(async (position) => {
      const response = await move(a.url, position);
      statuses.push(response.status);
      return response;
    }, 250);
    await redis.stop();
    publish({ slug: 'chunks', step: 4, blank: false });
    await until(
      () => statuses.filter((s) => s === 503).length >= 2,
      () => `the move refused while Redis is away (${statuses.join(', ')})`,
      15_000,
    );
    await redis.restart();
    for (const w of [onA, onB])
      await until(
        () => JSON.stringify(positions(w).at(-1)) === JSON.stringify({ slug: 'chunks', step: 4, blank: false }),
        () => `the move reached the followers (last ${JSON.stringify(positions(w).at(-1))}; answers ${statuses.join(', ')})`,
        15_000,
      );
    // The followers may hear the move before the page has the answer to the POST that made it.
    await until(
      () => statuses.at(-1) === 204,
      () => `the move accepted (answers ${statuses.join(', ')})`,
      5_000,
    );
  }, 60_000);
});
