/**
 * The dissectors on bytes captured from the real server (regenerate with `npm run fixtures`),
 * fed as captured and re-split into odd-sized reads.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dissectConnection } from './dissect.ts';
import { byteEventFromJson } from './byteEvent.ts';
import { headerValue } from './httpHead.ts';
import type { ByteEvent, ByteEventJson, Segment } from './types.ts';

interface Fixture {
  text: string;
  events: ByteEventJson[];
}

function load(name: string): { text: string; events: ByteEvent[] } {
  const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8')) as Fixture;
  return { text: fixture.text, events: fixture.events.map(byteEventFromJson) };
}

/** The same bytes, re-cut into reads of `size` bytes per direction run. */
function resplit(events: ByteEvent[], size: number): ByteEvent[] {
  const out: ByteEvent[] = [];
  for (const e of events) {
    for (let i = 0; i < e.bytes.length; i += size) out.push({ t: e.t, dir: e.dir, bytes: e.bytes.subarray(i, i + size) });
  }
  return out;
}

/** Token texts in order, each counted once (on the last piece of its element). */
function tokens(segments: readonly Segment[]): string[] {
  return segments.filter((s) => s.token !== undefined && s.tokenText !== undefined && (s.part === 'whole' || s.part === 'last')).map((s) => s.tokenText!);
}

function decode(segments: readonly Segment[], events: ByteEvent[]): Map<Segment, Uint8Array> {
  // Rebuild each direction's stream to read a segment's bytes.
  const streams = { up: [] as number[], down: [] as number[] };
  for (const e of events) streams[e.dir].push(...e.bytes);
  return new Map(segments.map((s) => [s, Uint8Array.from(streams[s.dir].slice(s.offset, s.offset + s.length))]));
}

describe.each(['sse', 'openai', 'ws', 'http'])('captured %s connection', (name) => {
  const { text, events } = load(name);

  it.each([0, 1, 3, 7, 64])('reassembles the reply exactly (reads of %i bytes; 0 = as captured)', (size) => {
    const { segments } = dissectConnection(size ? resplit(events, size) : events);
    if (name === 'http') {
      const body = segments.find((s) => s.kind === 'body' && (s.part === 'whole' || s.part === 'last'))?.text ?? '';
      expect((JSON.parse(body) as { text: string }).text).toBe(text);
    } else {
      expect(tokens(segments).join('')).toBe(text);
    }
    expect(segments.some((s) => s.kind === 'error' || s.kind === 'incomplete')).toBe(false);
  });
});

describe('captured bytes, protocol details', () => {
  it('SSE: every chunk-size line equals the bytes of data its chunk carries, and the body ends with the last chunk', () => {
    const { events } = load('sse');
    const { segments, exchanges } = dissectConnection(events);
    expect(exchanges[0]?.response?.status).toBe(200);
    expect(headerValue(exchanges[0]!.response!, 'content-type')).toBe('text/event-stream');
    expect(headerValue(exchanges[0]!.response!, 'transfer-encoding')).toBe('chunked');
    const bytes = decode(segments, events);
    const sizes = segments.filter((s) => s.kind === 'chunk-size');
    expect(sizes.length).toBeGreaterThan(5);
    for (const size of sizes) {
      const hex = new TextDecoder().decode(bytes.get(size)).trim();
      const data = segments
        .filter((s) => s.chunk === size.chunk && s.dir === 'down' && (s.layer === 'sse' || s.kind === 'chunk-data'))
        .reduce((n, s) => n + s.length, 0);
      expect(Number.parseInt(hex, 16)).toBe(data);
    }
    expect(segments.filter((s) => s.dir === 'down').some((s) => s.kind === 'chunk-last')).toBe(true);
  });

  it('WebSocket: the 101 upgrade, and a masked start frame whose unmasked payload is the start message', () => {
    const { text, events } = load('ws');
    const { segments, exchanges } = dissectConnection(events);
    expect(exchanges[0]?.response?.status).toBe(101);
    expect(exchanges[0]?.upgrade).toBe('websocket');
    const up = segments.filter((s) => s.dir === 'up' && s.layer === 'ws');
    expect(up.some((s) => s.kind === 'ws-mask-key')).toBe(true);
    const payload = up.find((s) => s.kind === 'ws-payload' && s.frame === 1);
    expect(JSON.parse(payload!.text!)).toMatchObject({ type: 'start', text });
    // The server's frames are not masked.
    expect(segments.some((s) => s.dir === 'down' && s.kind === 'ws-mask-key')).toBe(false);
  });

  it('buffered: one Content-Length equal to the body', () => {
    const { events } = load('http');
    const { segments, exchanges } = dissectConnection(events);
    const body = segments.filter((s) => s.kind === 'body' && s.dir === 'down').reduce((n, s) => n + s.length, 0);
    expect(Number(headerValue(exchanges[0]!.response!, 'content-length'))).toBe(body);
  });
});
