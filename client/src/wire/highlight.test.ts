/**
 * The highlight groups on bytes captured from real software: an HTTP/2 event stream (h2c, Node's
 * client and server) and TLS records (Node's client, http2.createSecureServer).
 */
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { byteEventFromJson } from './byteEvent.ts';
import { dissectHttp2 } from './http2.ts';
import { dissectTls } from './tls.ts';
import { emphasized, groupsOf, type GroupHighlight } from './highlight.ts';
import type { ByteEvent, ByteEventJson, Segment } from './types.ts';

function load(name: string): ByteEvent[] {
  const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8')) as { events: ByteEventJson[] };
  return fixture.events.map(byteEventFromJson);
}

const inGroup = (segments: readonly Segment[], group: GroupHighlight): Segment[] => segments.filter((s) => groupsOf(s).includes(group));
/** Distinct frames (direction and number) among `segments`. */
const frames = (segments: readonly Segment[]): string[] => [...new Set(segments.map((s) => `${s.dir}${s.frame}`))];

describe('HTTP/2 groups', () => {
  const { segments } = dissectHttp2(load('h2c-sse'));
  const typeOf = (s: Segment): string | undefined => segments.find((x) => x.kind === 'h2-type' && x.dir === s.dir && x.frame === s.frame)?.label;

  test('h2-frame-header: the 9 bytes of every frame header, four leaves each', () => {
    const headers = inGroup(segments, 'h2-frame-header');
    expect(headers.map((s) => s.kind)).toEqual(expect.arrayContaining(['h2-length', 'h2-type', 'h2-flags', 'h2-stream-id']));
    const all = frames(segments.filter((s) => s.frame !== undefined));
    expect(frames(headers)).toEqual(all);
    expect(headers.reduce((n, s) => n + s.length, 0)).toBe(9 * all.length);
  });

  test('h2-headers: HEADERS frames with their HPACK fields, :status among them', () => {
    const headers = inGroup(segments, 'h2-headers');
    expect(new Set(headers.map(typeOf))).toEqual(new Set(['type HEADERS']));
    expect(headers.some((s) => s.layer === 'hpack' && s.name === ':status' && s.text === '200')).toBe(true);
    expect(headers.some((s) => s.layer === 'hpack' && s.name === ':path')).toBe(true);
  });

  test('h2-data: the headers of the DATA frames, none of the event stream inside them', () => {
    const data = inGroup(segments, 'h2-data');
    expect(data.length).toBeGreaterThan(0);
    expect(new Set(data.map(typeOf))).toEqual(new Set(['type DATA']));
    expect(data.every((s) => s.layer === 'h2')).toBe(true);
    expect(segments.some((s) => s.layer === 'sse' && groupsOf(s).length > 0)).toBe(false);
  });

  test('h2-end-stream: the one DATA frame that ends the response, not the request’s HEADERS', () => {
    const end = inGroup(segments, 'h2-end-stream');
    expect(frames(end)).toHaveLength(1);
    expect(end.every((s) => s.dir === 'down')).toBe(true);
    expect(end.find((s) => s.kind === 'h2-flags')?.label).toContain('END_STREAM');
    // The request's HEADERS also ends its stream (a GET has no body), and is not picked.
    expect(segments.some((s) => s.kind === 'h2-flags' && s.dir === 'up' && s.label.includes('END_STREAM'))).toBe(true);
  });

  test('h2-settings and h2-window-update: the connection’s own frames, with their fields', () => {
    const settings = inGroup(segments, 'h2-settings');
    // Both sides' SETTINGS and both ACKs (this capture's are empty: Node sends no parameters here).
    expect(frames(settings)).toHaveLength(4);
    expect(new Set(settings.map(typeOf))).toEqual(new Set(['type SETTINGS']));
    expect(settings.every((s) => s.stream === 0)).toBe(true);
    expect(groupsOf({ kind: 'h2-setting', layer: 'h2', frameType: 'SETTINGS' })).toEqual(['h2-settings']);
    for (const s of inGroup(segments, 'h2-window-update')) expect(typeOf(s)).toBe('type WINDOW_UPDATE');
  });

  test('emphasized: by segment kind or by group', () => {
    const dataHeader = inGroup(segments, 'h2-data')[0]!;
    expect(emphasized(dataHeader, new Set(['h2-data']))).toBe(true);
    expect(emphasized(dataHeader, new Set(['h2-length', 'h2-type']))).toBe(dataHeader.kind === 'h2-length' || dataHeader.kind === 'h2-type');
    expect(emphasized(dataHeader, new Set(['chunk-size']))).toBe(false);
    expect(emphasized(dataHeader, new Set())).toBe(false);
  });
});

describe('TLS groups', () => {
  const { segments } = dissectTls(load('h2-tls'));

  test('tls-record-header: the 5 bytes that start every record', () => {
    const headers = inGroup(segments, 'tls-record-header');
    const records = new Set(segments.map((s) => `${s.dir}${s.record}`));
    expect(new Set(headers.map((s) => `${s.dir}${s.record}`))).toEqual(records);
    expect(headers.reduce((n, s) => n + s.length, 0)).toBe(5 * records.size);
  });

  test('tls-hello: the handshake in clear (SNI and ALPN among it); tls-app-data: the encrypted payloads', () => {
    const hello = inGroup(segments, 'tls-hello');
    expect(hello.some((s) => s.kind === 'tls-extension' && /localhost/.test(s.label))).toBe(true);
    expect(hello.some((s) => s.kind === 'tls-extension' && /h2/.test(s.label))).toBe(true);
    const data = inGroup(segments, 'tls-app-data');
    expect(data.length).toBeGreaterThan(0);
    expect(data.every((s) => s.kind === 'tls-encrypted')).toBe(true);
    expect(hello.some((s) => s.kind === 'tls-encrypted')).toBe(false);
  });
});
