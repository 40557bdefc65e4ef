/**
 * The HTTP/2 and TLS dissectors on bytes captured from real software (regenerate with
 * `node --import tsx scripts/capture-h2-fixtures.ts --chromium`), fed as captured and re-split
 * into 1-byte, odd and random reads.
 */
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { byteEventFromJson } from './byteEvent.ts';
import { dissectHttp2 } from './http2.ts';
import { elements, expectLeafInvariants, resplit, resplitRandom } from './testKit.ts';
import { dissectTls } from './tls.ts';
import type { ByteEvent, ByteEventJson, Segment } from './types.ts';

function load(name: string): { text: string; events: ByteEvent[] } {
  const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8')) as { text: string; events: ByteEventJson[] };
  return { text: fixture.text, events: fixture.events.map(byteEventFromJson) };
}

/** Token texts in order, each counted once (on the last piece of its element). */
const tokens = (segments: readonly Segment[]): string[] =>
  segments.filter((s) => s.tokenText !== undefined && (s.part === 'whole' || s.part === 'last')).map((s) => s.tokenText ?? '');

const splits: [string, (e: ByteEvent[]) => ByteEvent[]][] = [
  ['as captured', (e) => e],
  ['1-byte reads', (e) => resplit(e, 1)],
  ['7-byte reads', (e) => resplit(e, 7)],
  ['random reads (seed 1)', (e) => resplitRandom(e, 1)],
  ['random reads (seed 42)', (e) => resplitRandom(e, 42, 300)],
];

describe('captured h2c event stream (Node http2 client and server)', () => {
  const { text, events } = load('h2c-sse');
  const whole = dissectHttp2(events);

  test.each(splits)('%s: the reply reassembles exactly, nothing malformed, the same elements', (_name, split) => {
    const input = split(events);
    const { segments } = dissectHttp2(input);
    expectLeafInvariants(input, segments);
    expect(tokens(segments).join('')).toBe(text);
    expect(segments.filter((s) => s.kind === 'error' || s.kind === 'incomplete' || s.kind === 'opaque')).toEqual([]);
    expect(elements(segments)).toEqual(elements(whole.segments));
  });

  test('the protocol: preface, SETTINGS both ways and their ACKs, one stream with HEADERS and DATA to END_STREAM', () => {
    const list = elements(whole.segments);
    expect(list[0]).toMatchObject({ dir: 'up', kind: 'h2-preface', offset: 0, length: 24 });
    const types = (dir: 'up' | 'down') => list.filter((e) => e.dir === dir && e.kind === 'h2-type').map((e) => e.label.slice(5));
    expect(types('up')).toEqual(['SETTINGS', 'WINDOW_UPDATE', 'HEADERS', 'SETTINGS', 'PING', 'GOAWAY', 'GOAWAY']);
    const down = types('down');
    expect(down.slice(0, 3)).toEqual(['SETTINGS', 'SETTINGS', 'HEADERS']);
    expect(down.slice(3, -1).every((t) => t === 'DATA')).toBe(true);
    expect(down.at(-1)).toBe('PING');
    // SETTINGS acknowledged both ways, and the PING answered.
    expect(list.filter((e) => e.kind === 'h2-flags' && e.label === 'flags ACK').map((e) => e.dir)).toEqual(['up', 'down', 'down']);
    expect(list.filter((e) => e.dir === 'down' && e.kind === 'h2-flags').at(-2)?.label).toBe('flags END_STREAM');
    expect(list.filter((e) => e.kind === 'h2-ping-data').map((e) => e.label)).toEqual(['ping data 73747265616d7363', 'ping data 73747265616d7363']);
    expect(whole.exchanges).toHaveLength(1);
    expect(whole.exchanges[0]?.request).toMatchObject({ method: 'GET', path: '/api/stream/sse', version: 'HTTP/2' });
    expect(whole.exchanges[0]?.response?.status).toBe(200);
    // Every SSE leaf belongs to stream 1 and to the DATA frame that carried it.
    const sse = whole.segments.filter((s) => s.layer === 'sse');
    expect(sse.every((s) => s.stream === 1 && s.frame !== undefined && s.exchange === 1)).toBe(true);
  });

  test('every frame length equals the bytes of payload that follow its header', () => {
    const down = whole.segments.filter((s) => s.dir === 'down');
    const byFrame = new Map<number, { length: number; payload: number }>();
    for (const s of down) {
      if (s.frame === undefined) continue;
      const f = byFrame.get(s.frame) ?? { length: -1, payload: 0 };
      if (s.kind === 'h2-length') f.length = Number(/length ([\d,]+)/.exec(s.label)?.[1]?.replace(/,/g, ''));
      else if (!['h2-type', 'h2-flags', 'h2-stream-id'].includes(s.kind)) f.payload += s.length;
      byFrame.set(s.frame, f);
    }
    expect(byFrame.size).toBeGreaterThan(6);
    for (const f of byFrame.values()) expect(f.payload).toBe(f.length);
  });

  test('the response header block: HPACK fields, and the SSE content type that sends DATA to the SSE parser', () => {
    const fields = elements(whole.segments).filter((e) => e.dir === 'down' && e.layer === 'hpack');
    expect(fields.map((e) => e.name)).toEqual([':status', 'content-type', 'cache-control', 'date']);
    expect(fields[1]).toMatchObject({ kind: 'hpack-literal', text: 'text/event-stream; charset=utf-8' });
  });
});

describe('captured from Streamscope’s HTTPS port: Chromium loads a page that opens an EventSource (the tap’s plaintext HTTP/2)', () => {
  const { text, events } = load('h2-streamscope-chromium');
  const whole = dissectHttp2(events);
  const sseStream = whole.exchanges.find((x) => x.request?.path === '/api/stream/sse');

  test.each(splits)('%s: the events read right, nothing malformed, the same elements', (_name, split) => {
    const input = split(events);
    const { segments } = dissectHttp2(input);
    expectLeafInvariants(input, segments);
    expect(tokens(segments).join('')).toBe(text);
    expect(segments.filter((s) => s.kind === 'error' || s.kind === 'incomplete' || s.kind === 'opaque')).toEqual([]);
    expect(elements(segments)).toEqual(elements(whole.segments));
  });

  test('the page, its script, the EventSource and the favicon: four streams on one connection, each answered 200', () => {
    expect(whole.exchanges.map((x) => [x.request?.method, x.request?.path, x.response?.status])).toEqual([
      ['GET', '/', 200],
      ['GET', '/sse.js', 200],
      ['GET', '/api/stream/sse', 200],
      ['GET', '/favicon.ico', 200],
    ]);
    const list = elements(whole.segments);
    expect(list[0]).toMatchObject({ dir: 'up', kind: 'h2-preface', offset: 0, length: 24 });
    // Streams 1, 3, 5, 7: a client's streams are odd, in the order it opened them.
    const headersStreams = list.filter((e) => e.dir === 'up' && e.kind === 'h2-type' && e.label === 'type HEADERS').map((e) => e.stream);
    expect(headersStreams).toEqual([1, 3, 5, 7]);
  });

  test('Chromium’s SETTINGS and its connection WINDOW_UPDATE are named, and SETTINGS are acknowledged both ways', () => {
    const list = elements(whole.segments);
    const up = list.filter((e) => e.dir === 'up' && e.kind === 'h2-type').map((e) => e.label.slice(5));
    expect(up.slice(0, 3)).toEqual(['SETTINGS', 'WINDOW_UPDATE', 'HEADERS']);
    expect(up).toContain('SETTINGS');
    expect(list.filter((e) => e.kind === 'h2-flags' && e.label === 'flags ACK').map((e) => e.dir)).toEqual(expect.arrayContaining(['up', 'down']));
    // Chromium's own settings, each named (header table, push off, window, header list size).
    const settings = list.filter((e) => e.dir === 'up' && e.layer === 'h2' && /SETTINGS_/.test(e.label)).map((e) => /SETTINGS_[A-Z_]+/.exec(e.label)?.[0]);
    expect(settings).toEqual(expect.arrayContaining(['SETTINGS_HEADER_TABLE_SIZE', 'SETTINGS_ENABLE_PUSH', 'SETTINGS_INITIAL_WINDOW_SIZE']));
  });

  test('Chromium’s request heads decode: HPACK Huffman literals, then indexed fields from the dynamic table', () => {
    const fields = elements(whole.segments).filter((e) => e.dir === 'up' && e.layer === 'hpack');
    const first = fields.filter((e) => e.exchange === 1);
    expect(first.slice(0, 4).map((e) => e.name)).toEqual([':method', ':authority', ':scheme', ':path']);
    const userAgent = first.find((e) => e.name === 'user-agent')!;
    expect(userAgent).toMatchObject({ kind: 'hpack-literal' });
    expect(userAgent.text).toMatch(/^Mozilla\/5\.0 .*Chrome\//);
    expect(userAgent.explain).toMatch(/Huffman-coded in [\d,]+ bytes instead of [\d,]+/);
    // The EventSource's request: its own accept, and the user agent now one index into the dynamic table.
    const sse = fields.filter((e) => e.exchange === sseStream?.index);
    expect(sse.find((e) => e.name === 'accept')).toMatchObject({ text: 'text/event-stream' });
    expect(sse.find((e) => e.name === 'user-agent')).toMatchObject({ kind: 'hpack-indexed', text: userAgent.text });
    expect(sse.find((e) => e.name === ':path')?.text).toMatch(/^\/api\/stream\/sse\?/);
  });

  test('the event stream: its response head with no Transfer-Encoding, and its SSE events in DATA frames of its stream', () => {
    const down = elements(whole.segments).filter((e) => e.dir === 'down');
    const head = down.filter((e) => e.layer === 'hpack' && e.exchange === sseStream?.index);
    expect(head.find((e) => e.name === 'content-type')?.text).toBe('text/event-stream');
    expect(head.some((e) => e.name === 'transfer-encoding' || e.name === 'connection')).toBe(false);
    const sse = whole.segments.filter((s) => s.layer === 'sse');
    expect(sse.length).toBeGreaterThan(10);
    expect(sse.every((s) => s.stream === 5 && s.frame !== undefined)).toBe(true);
  });
});

describe.each([
  ['h2-tls', 'Node http2 client'],
  ['h2-tls-chromium', 'Chromium'],
])('captured TLS connection %s (%s)', (name) => {
  const { events } = load(name);
  const whole = dissectTls(events);

  test.each(splits)('%s: the same elements, nothing malformed', (_n, split) => {
    const input = split(events);
    const { segments, handshake } = dissectTls(input);
    expectLeafInvariants(input, segments);
    expect(segments.filter((s) => s.kind === 'error' || s.kind === 'incomplete' || s.kind === 'opaque')).toEqual([]);
    expect(elements(segments)).toEqual(elements(whole.segments));
    expect(handshake).toEqual(whole.handshake);
  });

  test('ClientHello: SNI localhost, ALPN h2 then http/1.1, TLS 1.3 offered; ServerHello: TLS 1.3, a cipher, a key share group', () => {
    expect(whole.handshake).toMatchObject({
      serverName: 'localhost',
      alpnOffered: ['h2', 'http/1.1'],
      version: 'TLS 1.3',
      cipherSuite: expect.stringMatching(/^TLS_(AES|CHACHA20)/) as unknown,
      keyShareGroup: 'x25519',
    });
    expect(whole.handshake.versionsOffered).toContain('TLS 1.3');
    const list = elements(whole.segments);
    expect(list.filter((e) => e.kind === 'tls-handshake-type').map((e) => [e.dir, e.label])).toEqual([
      ['up', 'ClientHello'],
      ['down', 'ServerHello'],
    ]);
    expect(list.filter((e) => e.kind === 'tls-change-cipher-spec').map((e) => e.dir)).toEqual(['up', 'down']);
  });

  test('record boundaries: every record length equals its payload, and everything after ChangeCipherSpec is encrypted', () => {
    for (const dir of ['up', 'down'] as const) {
      const leaves = whole.segments.filter((s) => s.dir === dir);
      const records = new Map<number, { length: number; payload: number }>();
      for (const s of leaves) {
        const r = records.get(s.record ?? 0) ?? { length: -1, payload: 0 };
        if (s.kind === 'tls-length' && s.label.startsWith('record length')) r.length = Number(/([\d,]+) byte/.exec(s.label)?.[1]?.replace(/,/g, ''));
        else if (s.kind !== 'tls-content-type' && !(s.kind === 'tls-version' && s.label.startsWith('legacy version') && r.length === -1)) r.payload += s.length;
        records.set(s.record ?? 0, r);
      }
      for (const [no, r] of records) expect([no, r.payload]).toEqual([no, r.length]);
      const ccs = leaves.findIndex((s) => s.kind === 'tls-change-cipher-spec');
      const after = leaves.slice(ccs + 1).filter((s) => !['tls-content-type', 'tls-version', 'tls-length'].includes(s.kind));
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((s) => s.kind === 'tls-encrypted')).toBe(true);
    }
  });
});

test('Chromium: GREASE values and the post-quantum key share are named', () => {
  const { handshake, segments } = dissectTls(load('h2-tls-chromium').events);
  expect(handshake.keyShareGroups).toEqual(expect.arrayContaining(['X25519MLKEM768', 'x25519']));
  expect(handshake.keyShareGroups?.some((g) => g.startsWith('GREASE'))).toBe(true);
  expect(segments.some((s) => s.kind === 'tls-cipher-suite' && s.label.startsWith('GREASE') && /RFC 8701/.test(s.explain))).toBe(true);
});
