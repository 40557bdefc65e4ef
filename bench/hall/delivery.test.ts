import { describe, expect, it } from 'vitest';
import { sseEvent } from '../../server/sse/eventStream.ts';
import { readBatch } from '../../server/follow/broadcast.ts';
import { BatchScanner, FollowerLog, countLoss, hallHeld } from './delivery.ts';
import { PresenterCursor, presenterRecords } from './presenterRun.ts';

/** The bytes the server writes for a batch: the batch as `readBatch` returns it, through `sseEvent`. */
function batchFrame(seq: number, sentAt: number, records: unknown[] = [{ type: 'end' }]): string {
  return sseEvent({ event: 'batch', data: readBatch({ run: 'r-1', seq, sentAt, records }) });
}

/** Feeds `text` in pieces of `size` bytes and returns the heads found. */
function scan(text: string, size: number): [number, number][] {
  const scanner = new BatchScanner();
  const found: [number, number][] = [];
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) scanner.feed(bytes.subarray(i, i + size), (seq, sentAt) => found.push([seq, sentAt]));
  return found;
}

describe('BatchScanner', () => {
  // A record whose text holds what looks like a batch head: JSON escapes it, so it is not one.
  const tricky = [{ type: 'app', lane: 'sse', event: { kind: 'token', t: 1, text: '\nevent: batch\ndata: {"run":"x","seq":99,"sentAt":1,"records":[]}' } }];
  const stream = [
    sseEvent({ event: 'run', data: { run: 'r-1' } }),
    batchFrame(0, 1795653889492.7),
    ': still watching\n\n',
    batchFrame(1, 1795653889692.25, tricky),
    batchFrame(2, 1795653889892),
  ].join('');

  it.each([1, 2, 7, 29, 64, 1000, stream.length])('finds every batch head in pieces of %i bytes', (size) => {
    expect(scan(stream, size)).toEqual([
      [0, 1795653889492.7],
      [1, 1795653889692.25],
      [2, 1795653889892],
    ]);
  });

  it('counts full events', () => {
    const scanner = new BatchScanner();
    scanner.feed(Buffer.from(sseEvent({ event: 'full', data: { run: 'r-1', maxRecords: 1, maxBytes: 1 } })), () => {});
    expect(scanner.full).toBe(1);
  });

  it('reads the heads of a real presenter run', () => {
    const cursor = new PresenterCursor(presenterRecords({ id: 'r-1', tps: 50, durationMs: 1000, startedAt: 1e12 }));
    let text = '';
    const expected: [number, number][] = [];
    for (let seq = 0; !cursor.done; seq++) {
      text += batchFrame(seq, 1e12 + seq * 200, cursor.take(seq * 200));
      expected.push([seq, 1e12 + seq * 200]);
    }
    expect(scan(text, 1500)).toEqual(expected);
  });
});

describe('countLoss', () => {
  const log = (...seqs: number[]): FollowerLog => {
    const l = new FollowerLog();
    for (const s of seqs) l.receive(s);
    return l;
  };

  it.each([
    {
      name: 'everyone got everything',
      logs: [
        [0, 1, 2],
        [0, 1, 2],
      ],
      published: 3,
      lost: 0,
      followersMissing: 0,
      duplicates: 0,
      outOfOrder: 0,
    },
    {
      name: 'one follower missed the middle batch',
      logs: [
        [0, 2],
        [0, 1, 2],
      ],
      published: 3,
      lost: 1,
      followersMissing: 1,
      duplicates: 0,
      outOfOrder: 0,
    },
    { name: 'a follower that got nothing misses every batch', logs: [[], [0, 1, 2]], published: 3, lost: 3, followersMissing: 1, duplicates: 0, outOfOrder: 0 },
    { name: 'a repeat counts once, as a duplicate', logs: [[0, 1, 1, 2]], published: 3, lost: 0, followersMissing: 0, duplicates: 1, outOfOrder: 0 },
    { name: 'order is noted but not loss', logs: [[0, 2, 1]], published: 3, lost: 0, followersMissing: 0, duplicates: 0, outOfOrder: 1 },
    {
      name: 'batches beyond the published ones do not make up for missing ones',
      logs: [[0, 5]],
      published: 2,
      lost: 1,
      followersMissing: 1,
      duplicates: 0,
      outOfOrder: 0,
    },
    { name: 'nothing published, nothing lost', logs: [[]], published: 0, lost: 0, followersMissing: 0, duplicates: 0, outOfOrder: 0 },
  ])('$name', ({ name: _name, logs, published, ...expected }) => {
    const loss = countLoss(
      logs.map((seqs) => log(...seqs)),
      published,
    );
    expect(loss).toEqual({ expected: logs.length * published, ...expected });
  });
});

describe('hallHeld', () => {
  it.each([
    { p99: 50, lost: 0, failed: 0, held: true },
    { p99: 100, lost: 0, failed: 0, held: false },
    { p99: 50, lost: 1, failed: 0, held: false },
    { p99: 50, lost: 0, failed: 1, held: false },
    { p99: Number.NaN, lost: 0, failed: 0, held: false },
  ])('p99 $p99 ms, $lost lost, $failed failed: held $held', ({ p99, lost, failed, held }) => {
    expect(hallHeld({ lateness: { p99 }, loss: { lost }, failed }, 100)).toBe(held);
  });
});

describe('presenterRecords', () => {
  const records = presenterRecords({ id: 'r-1', tps: 50, durationMs: 2000, startedAt: 1e12 });

  it('starts with the run and ends with its end, in time order', () => {
    expect(records[0]!.record.type).toBe('start');
    expect(records.at(-1)!.record.type).toBe('end');
    expect(records.every((r, i) => i === 0 || r.at >= records[i - 1]!.at)).toBe(true);
  });

  it('gives every streaming lane one wire record and one app token per token, and the buffered lane its tokens at the end', () => {
    const tokens = 101;
    const count = (lane: string, pick: (r: (typeof records)[number]['record']) => boolean): number =>
      records.filter((r) => 'lane' in r.record && r.record.lane === lane && pick(r.record)).length;
    for (const lane of ['sse', 'ws', 'openai']) expect(count(lane, (r) => r.type === 'app' && r.event.kind === 'token')).toBe(tokens);
    expect(records.filter((r) => r.record.type === 'app' && r.record.lane === 'http' && r.record.event.kind === 'token').every((r) => r.at === 2000)).toBe(
      true,
    );
    expect(count('sse', (r) => r.type === 'wire')).toBe(3 + tokens + 1);
  });

  it('passes the server check the real page passes', () => {
    const cursor = new PresenterCursor(records);
    expect(() => readBatch({ run: 'r-1', seq: 0, sentAt: 1e12, records: cursor.take(2000) })).not.toThrow();
    expect(cursor.done).toBe(true);
  });
});
