/**
 * What every reply log backend must do, as vitest cases: `memoryReplyLog.test.ts` and
 * `redisReplyLog.test.ts` run the same ones, so the transports can take either.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogReader, ReplyLog } from './replyLog.ts';

export interface ContractBackend {
  /** A fresh, empty log store (its ids must not meet another test's). */
  open(): Promise<ReplyLog>;
  /** Resolves once the store holds nothing for departed readers (no tail, no timer, no connection beyond its own). */
  settled?(log: ReplyLog): Promise<void>;
}

/** Reads what the reader yields until it ends. */
export async function drain(reader: LogReader): Promise<string[]> {
  const texts: string[] = [];
  for await (const token of reader) texts.push(`${token.index}:${token.text}`);
  return texts;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Until `check` holds (a shared store answers a moment later than the one in memory). */
async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function replyLogContract(name: string, backend: ContractBackend): void {
  describe(`${name}: the reply log contract`, () => {
    let log: ReplyLog;
    beforeEach(async () => {
      log = await backend.open();
    });
    afterEach(async () => {
      await backend.settled?.(log);
      await log.close();
    });

    it('reads from an offset what is held, then follows appends until the log ends', async () => {
      const entry = await log.create('r', 0, 4);
      entry.append('a');
      entry.append('b');
      const read = drain(entry.read(1));
      await sleep(20);
      entry.append('c');
      entry.append('d');
      entry.finish('done');
      expect(await read).toEqual(['1:b', '2:c', '3:d']);
      expect(await entry.snapshot()).toEqual({ id: 'r', start: 0, state: 'done', of: 4, tokens: ['a', 'b', 'c', 'd'].map((text, index) => ({ index, text })) });
    });

    it('gives two readers the same tokens, whenever each joined', async () => {
      const entry = await log.create('r', 0, 3);
      const first = drain(entry.read(0));
      entry.append('x');
      await sleep(20);
      const second = drain(entry.read(0));
      entry.append('y');
      await sleep(5);
      entry.append('z');
      entry.finish('failed');
      expect(await first).toEqual(['0:x', '1:y', '2:z']);
      expect(await second).toEqual(await first);
      // A reader that comes after the end reads it all at once.
      expect(await drain(entry.read(0))).toEqual(await first);
      expect(await drain(entry.read(3))).toEqual([]);
    });

    it('a log begun by a resume starts at its offset; a reader before it starts there', async () => {
      const entry = await log.create('r', 5, 7);
      entry.append('f');
      entry.append('g');
      entry.finish('done');
      expect(await drain(entry.read(0))).toEqual(['5:f', '6:g']);
      expect(await drain(entry.read(6))).toEqual(['6:g']);
      expect(entry.end).toBe(7);
      const held = await log.get('r');
      expect({ start: held?.start, end: held?.end, state: held?.state }).toEqual({ start: 5, end: 7, state: 'done' });
    });

    it('a reader ahead of the log waits for the tokens it asks for, and reads from there', async () => {
      const entry = await log.create('r', 0, 5);
      entry.append('a');
      const ahead = drain(entry.read(3));
      await sleep(20);
      for (const text of ['b', 'c', 'd', 'e']) entry.append(text);
      entry.finish('done');
      expect(await ahead).toEqual(['3:d', '4:e']);
    });

    it('return() ends a waiting reader at once and tells the log the last reader left', async () => {
      const entry = await log.create('r', 0, 3);
      let gone = 0;
      entry.onReadersGone(() => gone++);
      const a = entry.read(0);
      const b = entry.read(0);
      const pending = a.next();
      await sleep(20);
      await b.return();
      expect(gone).toBe(0);
      await a.return();
      expect(await pending).toEqual({ done: true, value: undefined });
      expect(gone).toBe(1);
      expect(entry.readers).toBe(0);
      expect(await a.next()).toEqual({ done: true, value: undefined });
    });

    it('a stopped log is continued from its end; a reader who came before the resume reads on', async () => {
      const entry = await log.create('r', 0, 3);
      entry.append('a');
      entry.finish('stopped');
      expect((await entry.snapshot()).tokens).toEqual([{ index: 0, text: 'a' }]);
      const held = await log.get('r');
      expect(held?.state).toBe('stopped');
      expect(held?.end).toBe(1);
      const reader = held!.read(1);
      held!.resume();
      held!.append('b');
      held!.append('c');
      held!.finish('done');
      expect(await drain(reader)).toEqual(['1:b', '2:c']);
      expect((await held!.snapshot()).tokens.map((t) => t.text)).toEqual(['a', 'b', 'c']);
      await eventually(async () => (await log.get('r'))?.state === 'done', 'the log to be done');
    });

    it('finishes done, failed or stopped: the state a lookup and a snapshot say', async () => {
      for (const state of ['done', 'failed', 'stopped'] as const) {
        const entry = await log.create(`r-${state}`, 0, 2);
        entry.append('only');
        expect(entry.state).toBe('generating');
        expect((await entry.snapshot()).state).toBe('generating');
        entry.finish(state);
        expect(entry.state).toBe(state);
        expect((await entry.snapshot()).state).toBe(state);
        await eventually(async () => (await log.get(`r-${state}`))?.state === state, `the log to say ${state}`);
      }
    });

    it('a log that ends before its first token (fail=0) ends its readers at once', async () => {
      const entry = await log.create('r', 0, 3);
      const reader = drain(entry.read(0));
      await sleep(10);
      entry.finish('failed');
      expect(await reader).toEqual([]);
      expect(await drain(entry.read(0))).toEqual([]);
      expect((await entry.snapshot()).state).toBe('failed');
      expect(entry.broken).toBeUndefined();
    });

    it('refuses appends to a finished log', async () => {
      const entry = await log.create('r', 0, 1);
      entry.finish('done');
      expect(() => entry.append('late')).toThrow(/done log/);
    });

    it('a new generation under the same id replaces the older one for lookups; the older one’s readers read the older one', async () => {
      const old = await log.create('r', 0, 3);
      old.append('old-0');
      const oldReader = drain(old.read(0));
      const fresh = await log.create('r', 0, 3);
      fresh.append('new-0');
      await sleep(10);
      old.append('old-1');
      old.finish('done');
      expect(await oldReader).toEqual(['0:old-0', '1:old-1']);
      const held = await log.get('r');
      expect(held?.state).toBe('generating');
      expect((await held!.snapshot()).tokens).toEqual([{ index: 0, text: 'new-0' }]);
      fresh.append('new-1');
      fresh.finish('stopped');
      await eventually(async () => (await log.get('r'))?.state === 'stopped', 'the newer generation to say stopped');
    });

    it('an id never seen is not held', async () => {
      expect(await log.get('never-seen')).toBeUndefined();
    });
  });
}
