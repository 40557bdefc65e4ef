import { describe, expect, it } from 'vitest';
import { MemoryReplyLog } from './memoryReplyLog.ts';
import type { LogReader } from './replyLog.ts';
import { replyLogContract } from './replyLogContract.ts';

/** Reads what the reader yields until it ends. */
async function drain(reader: LogReader): Promise<string[]> {
  const texts: string[] = [];
  for await (const token of reader) texts.push(`${token.index}:${token.text}`);
  return texts;
}

describe('MemoryReplyLog', () => {
  it('reads from an offset what is held, then follows appends until the log ends', async () => {
    const log = new MemoryReplyLog().createNow('r', 0, 4);
    log.append('a');
    log.append('b');
    const read = drain(log.read(1));
    await Promise.resolve();
    log.append('c');
    log.append('d');
    log.finish('done');
    expect(await read).toEqual(['1:b', '2:c', '3:d']);
    expect(await log.snapshot()).toEqual({ id: 'r', start: 0, state: 'done', of: 4, tokens: ['a', 'b', 'c', 'd'].map((text, index) => ({ index, text })) });
  });

  it('gives two readers the same tokens, whenever each joined', async () => {
    const log = new MemoryReplyLog().createNow('r', 0, 3);
    const first = drain(log.read(0));
    log.append('x');
    await new Promise((resolve) => setTimeout(resolve, 1));
    const second = drain(log.read(0));
    log.append('y');
    log.append('z');
    log.finish('failed');
    expect(await first).toEqual(['0:x', '1:y', '2:z']);
    expect(await second).toEqual(await first);
  });

  it('a log begun by a resume starts at its offset; a reader before it starts there', async () => {
    const log = new MemoryReplyLog().createNow('r', 5, 7);
    log.append('f');
    log.append('g');
    log.finish('done');
    expect(await drain(log.read(0))).toEqual(['5:f', '6:g']);
    expect(await drain(log.read(6))).toEqual(['6:g']);
    expect(log.end).toBe(7);
  });

  it('return() ends a waiting reader at once and tells the log the last reader left', async () => {
    const log = new MemoryReplyLog().createNow('r', 0, 3);
    let gone = 0;
    log.onReadersGone(() => gone++);
    const a = log.read(0);
    const b = log.read(0);
    const pending = a.next();
    await b.return();
    expect(gone).toBe(0);
    await a.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(gone).toBe(1);
    expect(log.readers).toBe(0);
    // A stopped log can be continued: appends go on from its end.
    log.finish('stopped');
    log.resume();
    log.append('more');
    expect(log.end).toBe(1);
  });

  it('refuses appends to a finished log', () => {
    const log = new MemoryReplyLog().createNow('r', 0, 1);
    log.finish('done');
    expect(() => log.append('late')).toThrow(/done log/);
  });

  it('is bounded in count: past maxLogs the oldest goes (its readers keep their entry)', async () => {
    const logs = new MemoryReplyLog({ maxLogs: 3 });
    const first = logs.createNow('a', 0, 1);
    const reader = first.read(0);
    for (const id of ['b', 'c', 'd']) logs.createNow(id, 0, 1);
    expect(logs.size).toBe(3);
    expect(logs.getNow('a')).toBeUndefined();
    first.append('still');
    first.finish('done');
    expect(await drain(reader)).toEqual(['0:still']);
  });

  it('is bounded in age: a finished log expires maxAgeMs after its end, a generating one never', () => {
    let now = 0;
    const logs = new MemoryReplyLog({ maxAgeMs: 1000 }, () => now);
    logs.createNow('done', 0, 0).finish('done');
    logs.createNow('live', 0, 5);
    now = 999;
    expect(logs.getNow('done')).toBeDefined();
    now = 1000;
    expect(logs.getNow('done')).toBeUndefined();
    now = 1_000_000;
    expect(logs.getNow('live')?.state).toBe('generating');
  });

  it('a new log under the same id replaces the older one for lookups', () => {
    const logs = new MemoryReplyLog();
    const old = logs.createNow('r', 0, 1);
    const fresh = logs.createNow('r', 0, 1);
    expect(logs.getNow('r')).toBe(fresh);
    expect(logs.getNow('r')).not.toBe(old);
  });
});

describe('MemoryReplyLog, bounded in tokens', () => {
  it('past maxTokens the oldest logs go, never the one being written', () => {
    const logs = new MemoryReplyLog({ maxTokens: 5 });
    const a = logs.createNow('a', 0, 3);
    for (const t of ['1', '2', '3']) a.append(t);
    a.finish('done');
    const b = logs.createNow('b', 0, 9);
    for (const t of ['1', '2']) b.append(t);
    expect(logs.tokens).toBe(5);
    expect(logs.getNow('a')).toBeDefined();
    b.append('3');
    expect(logs.getNow('a')).toBeUndefined();
    expect(logs.tokens).toBe(3);
    for (const t of ['4', '5', '6', '7']) b.append(t);
    expect(logs.getNow('b')?.end).toBe(7);
    // A replaced log stops counting.
    logs.createNow('b', 0, 1);
    b.append('8');
    expect(logs.tokens).toBe(0);
  });
});

replyLogContract('MemoryReplyLog', { open: async () => new MemoryReplyLog() });
