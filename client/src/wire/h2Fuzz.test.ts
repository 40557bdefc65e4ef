/**
 * Random and mangled input for the HTTP/2, HPACK and TLS dissectors: they must annotate, never
 * throw, and keep the leaf contract (every byte in exactly one leaf, in its event).
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { byteEventFromJson } from './byteEvent.ts';
import { HpackDecoder } from '../../../shared/hpack.ts';
import { CLIENT_PREFACE, dissectHttp2 } from './http2.ts';
import { bytes, expectLeafInvariants, resplitRandom } from './testKit.ts';
import { dissectTls } from './tls.ts';
import type { ByteEvent, ByteEventJson, Direction } from './types.ts';

const captured = (name: string): ByteEvent[] =>
  (JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8')) as { events: ByteEventJson[] }).events.map(byteEventFromJson);

/** Reads as [direction, bytes] pairs. */
const reads = fc.array(fc.tuple(fc.constantFrom<Direction>('up', 'down'), fc.uint8Array({ minLength: 1, maxLength: 60 })), { maxLength: 12 });

const toEvents = (steps: [Direction, Uint8Array][], prefix: ByteEvent[] = []): ByteEvent[] => [
  ...prefix,
  ...steps.map(([dir, b], i): ByteEvent => ({ t: 5000 + i, dir, bytes: b })),
];

/** Flips (xors) bytes of a captured connection: same lengths, wrong content. */
const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 });

function mangleAll(events: ByteEvent[], changes: [number, number][], seed: number): ByteEvent[] {
  const mangled = changes.reduce((e, [at, xor]) => mangle(e, at, xor), events);
  return seed % 2 === 0 ? mangled : resplitRandom(mangled, seed, 50);
}

function mangle(events: ByteEvent[], at: number, xor: number): ByteEvent[] {
  const total = events.reduce((n, e) => n + e.bytes.length, 0);
  let target = at % total;
  return events.map((e) => {
    if (target < 0 || target >= e.bytes.length) {
      target -= e.bytes.length;
      return e;
    }
    const copy = e.bytes.slice();
    copy[target] = (copy[target] ?? 0) ^ (xor || 1);
    target = -1;
    return { ...e, bytes: copy };
  });
}

describe('never throws, keeps the leaf contract', { timeout: 30_000 }, () => {
  test('HTTP/2: random frames after a valid preface', () => {
    fc.assert(
      fc.property(reads, (steps) => {
        const input = toEvents(steps, [{ t: 1, dir: 'up', bytes: bytes(CLIENT_PREFACE) }]);
        expectLeafInvariants(input, dissectHttp2(input).segments);
      }),
      { numRuns: 300 },
    );
  });

  test('HTTP/2: the captured h2c exchange with bytes flipped anywhere, in random reads', () => {
    const events = captured('h2c-sse');
    fc.assert(
      fc.property(flips, fc.nat(), (changes, seed) => {
        const input = mangleAll(events, changes, seed);
        expectLeafInvariants(input, dissectHttp2(input).segments);
      }),
      { numRuns: 300 },
    );
  });

  test('TLS: random records, and the captured handshakes with bytes flipped anywhere, in random reads', () => {
    fc.assert(
      fc.property(reads, (steps) => {
        const input = toEvents(steps.map(([d, b]) => [d, bytes(new Uint8Array([0x16, 0x03, 0x03]), b)]));
        expectLeafInvariants(input, dissectTls(input).segments);
      }),
      { numRuns: 300 },
    );
    for (const name of ['h2-tls', 'h2-tls-chromium']) {
      const events = captured(name);
      fc.assert(
        fc.property(flips, fc.nat(), (changes, seed) => {
          const input = mangleAll(events, changes, seed);
          expectLeafInvariants(input, dissectTls(input).segments);
        }),
        { numRuns: 150 },
      );
    }
  });

  test('HPACK: random header blocks decode or stop at an error, never past the block', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (block) => {
        const r = new HpackDecoder().decodeBlock(block);
        const end = r.fields.at(-1)?.end ?? 0;
        expect(end).toBeLessThanOrEqual(block.length);
        if (!r.error) expect(end).toBe(block.length);
      }),
      { numRuns: 1000 },
    );
  });
});
