/**
 * Test helpers (imported only by `*.test.ts`): hand-built wire bytes, re-splitting a fixture
 * into odd-sized reads, merging split leaves back into elements, and the leaf invariants.
 */
import { expect } from 'vitest';
import type { ByteEvent, Direction, Segment } from './types.ts';

const encoder = new TextEncoder();

export function bytes(...parts: (string | Uint8Array)[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? encoder.encode(p) : p));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** One chunk of the chunked coding: hex size, CRLF, data, CRLF (RFC 9112 §7.1). */
export function chunk(data: string | Uint8Array): Uint8Array {
  const payload = bytes(data);
  return bytes(`${payload.length.toString(16)}\r\n`, payload, '\r\n');
}

export const lastChunk = '0\r\n\r\n';

/** A WebSocket frame (RFC 6455 §5.2), masked when `mask` is given. */
export function wsFrame(opts: { opcode?: number; fin?: boolean; rsv?: number; payload?: string | Uint8Array; mask?: number[] }): Uint8Array {
  const payload = bytes(opts.payload ?? '');
  const n = payload.length;
  const head = [((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | (opts.opcode ?? 1)];
  const maskBit = opts.mask ? 0x80 : 0;
  if (n < 126) head.push(maskBit | n);
  else if (n < 65536) head.push(maskBit | 126, n >> 8, n & 0xff);
  else head.push(maskBit | 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  if (!opts.mask) return bytes(new Uint8Array(head), payload);
  const key = opts.mask;
  const masked = payload.map((b, i) => b ^ (key[i % 4] ?? 0));
  return bytes(new Uint8Array([...head, ...key]), masked);
}

/** Events from `[dir, bytes]` pairs, one millisecond apart. */
export function events(...steps: [Direction, string | Uint8Array][]): ByteEvent[] {
  return steps.map(([dir, b], i) => ({ t: 1000 + i, dir, bytes: bytes(b) }));
}

/**
 * The same bytes cut into reads of `size` bytes: each event becomes several, in order, with
 * times 0.001 ms apart, so every leaf can be checked against the event that carried it.
 */
export function resplit(input: readonly ByteEvent[], size: number): ByteEvent[] {
  const out: ByteEvent[] = [];
  for (const e of input) {
    for (let i = 0, k = 0; i < e.bytes.length; i += size, k++) {
      out.push({ t: e.t + k / 1000, dir: e.dir, bytes: e.bytes.subarray(i, i + size) });
    }
  }
  return out;
}

/**
 * The same bytes cut into reads of random sizes from 1 to `max` (a fixed `seed` gives the same
 * cuts every run), times 0.001 ms apart within each original event.
 */
export function resplitRandom(input: readonly ByteEvent[], seed: number, max = 40): ByteEvent[] {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32: small, deterministic, good enough to vary read sizes.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const out: ByteEvent[] = [];
  for (const e of input) {
    for (let i = 0, k = 0; i < e.bytes.length; k++) {
      const n = 1 + (next() % max);
      out.push({ t: e.t + k / 1000, dir: e.dir, bytes: e.bytes.subarray(i, i + n) });
      i += n;
    }
  }
  return out;
}

/** What an element says, whatever the reads it came in: split leaves merged back. */
export interface Element {
  dir: Direction;
  offset: number;
  length: number;
  layer: Segment['layer'];
  kind: Segment['kind'];
  label: string;
  explain: string;
  text?: string;
  token?: number;
  tokenText?: string;
  name?: string;
  sseEvent?: number;
  frame?: number;
  exchange?: number;
  stream?: number;
  record?: number;
  chunks: number[];
  payloadBytes: number;
}

export function elements(segments: readonly Segment[]): Element[] {
  const byId = new Map<number, Element>();
  for (const s of segments) {
    const e = byId.get(s.element);
    if (e) {
      e.length = s.offset + s.length - e.offset;
      if (s.chunk !== undefined && !e.chunks.includes(s.chunk)) e.chunks.push(s.chunk);
      e.payloadBytes += s.payloadBytes ?? 0;
      continue;
    }
    const { dir, offset, length, layer, kind, label, explain, text, token, tokenText, name, sseEvent, frame, exchange, stream, record } = s;
    byId.set(s.element, {
      dir,
      offset,
      length,
      layer,
      kind,
      label,
      explain,
      text,
      token,
      tokenText,
      name,
      sseEvent,
      frame,
      exchange,
      ...(stream !== undefined ? { stream } : {}),
      ...(record !== undefined ? { record } : {}),
      chunks: s.chunk === undefined ? [] : [s.chunk],
      payloadBytes: s.payloadBytes ?? 0,
    });
  }
  return [...byId.values()].sort((a, b) => (a.dir === b.dir ? a.offset - b.offset : a.dir === 'up' ? -1 : 1));
}

/** Elements of one kind in one direction (`down` unless said). */
export function ofKind(segments: readonly Segment[], kind: Segment['kind'], dir: Direction = 'down'): Element[] {
  return elements(segments).filter((e) => e.kind === kind && e.dir === dir);
}

/**
 * The leaf contract: per direction, leaves in byte order, no gaps, no overlaps, covering every
 * byte; each inside one event, with that event's `t` and index; pieces of an element marked
 * first…last in order. Collects problems and asserts once, so 70,000 leaves stay fast.
 */
export function expectLeafInvariants(input: readonly ByteEvent[], segments: readonly Segment[]): void {
  const problems: string[] = [];
  for (const dir of ['up', 'down'] as const) {
    const ranges: { start: number; end: number; t: number; index: number }[] = [];
    let total = 0;
    input.forEach((e, index) => {
      if (e.dir !== dir || e.bytes.length === 0) return;
      ranges.push({ start: total, end: total + e.bytes.length, t: e.t, index });
      total += e.bytes.length;
    });
    let at = 0;
    let r = 0;
    for (const leaf of segments) {
      if (leaf.dir !== dir) continue;
      const name = `${dir} "${leaf.label}" at ${leaf.offset}`;
      if (leaf.offset !== at) problems.push(`${name}: expected offset ${at}`);
      if (leaf.length <= 0) problems.push(`${name}: empty`);
      at = leaf.offset + leaf.length;
      while (r < ranges.length && (ranges[r]?.end ?? 0) <= leaf.offset) r++;
      const home = ranges[r];
      if (!home || home.start > leaf.offset) problems.push(`${name}: no event`);
      else {
        if (at > home.end) problems.push(`${name}: crosses the end of event ${home.index}`);
        if (leaf.t !== home.t || leaf.event !== home.index) problems.push(`${name}: t/event ${leaf.t}/${leaf.event}, carried by ${home.t}/${home.index}`);
      }
    }
    if (at !== total) problems.push(`${dir}: leaves end at ${at}, bytes at ${total}`);
  }
  const pieces = new Map<number, Segment[]>();
  for (const s of segments) {
    const list = pieces.get(s.element);
    if (list) list.push(s);
    else pieces.set(s.element, [s]);
  }
  for (const [id, list] of pieces) {
    const ok = list.length === 1 ? list[0]?.part === 'whole' : list.every((s, i) => s.part === (i === 0 ? 'first' : i === list.length - 1 ? 'last' : 'middle'));
    if (!ok) problems.push(`element ${id}: parts ${list.map((s) => s.part).join(',')}`);
  }
  expect(problems.slice(0, 10)).toEqual([]);
}
