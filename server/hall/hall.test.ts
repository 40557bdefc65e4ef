/**
 * A hall as `npm run hall` starts it (redis-server, two processes, real nginx), over real
 * sockets: followers through nginx land on both processes; the presenter, through nginx, reaches
 * them all; a process killed mid-class cuts its followers off, and they reconnect through nginx
 * to the other process, which gives them where the class is and the rest of the run after their
 * `Last-Event-ID`. Then everything stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hallMissing, startHall, type Hall } from './hall.ts';
import { hallCookie, hallProcessHeader } from './hallNginxConfig.ts';
import { sseWatcher, type SseWatcher } from '../testing/sseWatcher.ts';
import { until } from '../testing/until.ts';
import type { BroadcastBatch, BroadcastRecord } from '../../shared/broadcast.ts';
import type { ClassPosition } from '../../shared/follow.ts';

const missing = hallMissing();
if (missing.length > 0) console.warn(`Skipping the hall: ${missing.join('; ')}`);

describe.skipIf(missing.length > 0)(`a hall: redis-server, two processes, nginx${missing.length ? ` (skipped: ${missing.join('; ')})` : ''}`, () => {
  let hall: Hall;
  const open: SseWatcher[] = [];
  beforeAll(async () => {
    hall = await startHall({ staticDir: null });
  }, 60_000);
  afterAll(async () => {
    open.forEach((w) => w.close());
    await hall?.stop();
  });

  const asPresenter = () => ({ Authorization: `Bearer ${hall.token}`, 'Content-Type': 'application/json' });
  const me = async (url: string) => (await (await fetch(`${url}/api/follow/me`)).json()) as { followers: number; watching: number };
  const post = (batch: BroadcastBatch) => fetch(`${hall.url}/api/follow/run`, { method: 'POST', headers: asPresenter(), body: JSON.stringify(batch) });
  const app = (n: number): BroadcastRecord => ({ type: 'app', lane: 'sse', event: { kind: 'token', t: 1000 + n, index: n, text: `t${n}` } });

  /** A browser's cookie that nginx keeps on process `i` (found by trying keys; nginx names the process that answered). */
  async function cookieFor(i: number): Promise<string> {
    const target = `127.0.0.1:${hall.processes[i]!.port}`;
    for (let k = 0; k < 50; k++) {
      const cookie = `${hallCookie}=key-${k}`;
      const response = await fetch(`${hall.url}/api/follow/me`, { headers: { Cookie: cookie } });
      await response.arrayBuffer();
      if (response.headers.get(hallProcessHeader) === target) return cookie;
    }
    throw new Error(`no key of 50 lands on process ${i + 1}`);
  }

  it('a killed process’s followers reconnect through nginx to the other, and get the class and the rest of the run', async () => {
    const [toFirst, toSecond] = [await cookieFor(0), await cookieFor(1)];
    const position: ClassPosition = { slug: 'why-stream', step: 1, blank: false };
    expect((await fetch(`${hall.url}/api/follow`, { method: 'POST', headers: asPresenter(), body: JSON.stringify(position) })).status).toBe(204);
    const start: BroadcastRecord = { type: 'start', id: 'hall-run', settings: {}, lanes: ['sse'], startedAt: 1000 };
    expect((await post({ run: 'hall-run', seq: 0, sentAt: 1, records: [start, app(0)] })).status).toBe(204);

    const follower = await sseWatcher(`${hall.url}/api/follow`, { Cookie: toFirst });
    const watcher = await sseWatcher(`${hall.url}/api/follow/run`, { Cookie: toFirst });
    const other = await sseWatcher(`${hall.url}/api/follow/run`, { Cookie: toSecond });
    open.push(follower, watcher, other);
    await Promise.all([follower.next(2), watcher.next(2), other.next(2)]);
    expect((await me(hall.processes[0]!.url)).watching).toBe(1);
    expect((await me(hall.processes[1]!.url)).watching).toBe(1);
    expect((await post({ run: 'hall-run', seq: 1, sentAt: 2, records: [app(1)] })).status).toBe(204);
    await Promise.all([watcher.next(3), other.next(3)]);

    await hall.processes[0]!.kill();
    await until(() => watcher.ended && follower.ended, 'the killed process’s streams to end');
    // The presenter goes on (nginx sends the batch to the process left).
    expect((await post({ run: 'hall-run', seq: 2, sentAt: 3, records: [app(2), { type: 'end' }] })).status).toBe(204);
    await other.next(4);

    // EventSource reconnects with the same cookie and its last id; nginx sends it to the other process.
    const last = watcher.events.at(-1)!.id!;
    expect(last).toBe('hall-run:2');
    const resumed = await sseWatcher(`${hall.url}/api/follow/run`, { Cookie: toFirst, 'Last-Event-ID': last });
    const refollowed = await sseWatcher(`${hall.url}/api/follow`, { Cookie: toFirst });
    open.push(resumed, refollowed);
    await Promise.all([resumed.next(1), refollowed.next(2)]);
    expect(resumed.events.map((e) => [e.id, e.event])).toEqual([['hall-run:3', 'batch']]);
    expect(resumed.events[0]!.data).toBe(other.events[3]!.data);
    expect(JSON.parse(refollowed.events.find((e) => e.event === 'position')!.data)).toEqual(position);
    expect((await me(hall.processes[1]!.url)).watching).toBe(2);
  }, 60_000);
});
