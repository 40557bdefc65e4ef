import { describe, expect, test } from 'vitest';
import { dissectTls, TlsDissector } from './tls.ts';
import { isGrease } from './tlsNames.ts';
import { bytes, elements, events, expectLeafInvariants, resplit } from './testKit.ts';
import type { Element } from './testKit.ts';
import type { ByteEvent } from './types.ts';

const u8 = (...n: number[]): Uint8Array => Uint8Array.from(n);
const u16 = (n: number): Uint8Array => u8(n >> 8, n & 0xff);
const u24 = (n: number): Uint8Array => u8(n >> 16, (n >> 8) & 0xff, n & 0xff);
/** A vector with a 1- or 2-byte length prefix (RFC 8446 §3.4). */
const vec8 = (...parts: Uint8Array[]): Uint8Array => bytes(u8(bytes(...parts).length), ...parts);
const vec16 = (...parts: Uint8Array[]): Uint8Array => bytes(u16(bytes(...parts).length), ...parts);

const record = (type: number, ...payload: Uint8Array[]): Uint8Array => bytes(u8(type, 3, 3), vec16(...payload));
const handshake = (type: number, ...body: Uint8Array[]): Uint8Array => bytes(u8(type), u24(bytes(...body).length), ...body);
const extension = (type: number, ...data: Uint8Array[]): Uint8Array => bytes(u16(type), vec16(...data));

const sni = (host: string) => extension(0, vec16(u8(0), vec16(bytes(host))));
const alpn = (...protocols: string[]) => extension(16, vec16(...protocols.map((p) => vec8(bytes(p)))));

function clientHello(...extensions: Uint8Array[]): Uint8Array {
  return handshake(
    1,
    u16(0x0303),
    new Uint8Array(32).fill(7),
    vec8(new Uint8Array(32).fill(1)),
    vec16(u16(0x1301), u16(0x2a2a), u16(0xc02f)),
    vec8(u8(0)),
    vec16(...extensions),
  );
}

function serverHello(...extensions: Uint8Array[]): Uint8Array {
  return handshake(2, u16(0x0303), new Uint8Array(32).fill(9), vec8(), u16(0xc02f), u8(0), ...(extensions.length ? [vec16(...extensions)] : []));
}

function tls(input: ByteEvent[]): Element[] {
  const { segments } = dissectTls(input);
  expectLeafInvariants(input, segments);
  return elements(segments);
}

describe('hand-built handshakes', () => {
  const hello = clientHello(
    sni('example.com'),
    alpn('h2', 'http/1.1'),
    extension(43, vec8(u16(0x0304), u16(0x0303))),
    extension(51, vec16(u16(29), vec16(new Uint8Array(32)))),
  );

  test('a ClientHello: each field a leaf, named', () => {
    const list = tls(events(['up', bytes(u8(22, 3, 1), vec16(hello))]));
    expect(list.map((e) => [e.kind, e.label])).toEqual([
      ['tls-content-type', 'record 1: handshake'],
      ['tls-version', 'legacy version TLS 1.0'],
      ['tls-length', `record length ${hello.length} bytes`],
      ['tls-handshake-type', 'ClientHello'],
      ['tls-length', `ClientHello length ${hello.length - 4} bytes`],
      ['tls-version', 'legacy version TLS 1.2'],
      ['tls-random', 'random 07070707…'],
      ['tls-length', 'session id length 32 bytes'],
      ['tls-session-id', 'session id, 32 bytes'],
      ['tls-length', 'cipher suites length 6 bytes'],
      ['tls-cipher-suite', 'TLS_AES_128_GCM_SHA256'],
      ['tls-cipher-suite', 'GREASE 0x2a2a'],
      ['tls-cipher-suite', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
      ['tls-length', 'compression methods length 1 byte'],
      ['tls-compression', 'compression: null'],
      ['tls-length', 'extensions length 89 bytes'],
      ['tls-extension-type', 'extension server_name'],
      ['tls-length', 'server_name length 16 bytes'],
      ['tls-extension', 'SNI example.com'],
      ['tls-extension-type', 'extension application_layer_protocol_negotiation'],
      ['tls-length', 'application_layer_protocol_negotiation length 14 bytes'],
      ['tls-extension', 'ALPN offers h2, http/1.1'],
      ['tls-extension-type', 'extension supported_versions'],
      ['tls-length', 'supported_versions length 5 bytes'],
      ['tls-extension', 'supported_versions: TLS 1.3, TLS 1.2'],
      ['tls-extension-type', 'extension key_share'],
      ['tls-length', 'key_share length 38 bytes'],
      ['tls-extension', 'key_share: x25519'],
    ]);
  });

  test('TLS 1.2: ServerHello with ALPN chosen in clear, Certificate and ServerHelloDone in one record, then ChangeCipherSpec and an encrypted Finished', () => {
    const input = events(
      ['up', record(22, hello)],
      ['down', bytes(record(22, serverHello(alpn('h2'))), record(22, handshake(11, u8(1, 2, 3)), handshake(14)))],
      ['up', bytes(record(20, u8(1)), record(22, new Uint8Array(40).fill(0xee)))],
      ['down', bytes(record(20, u8(1)), record(22, new Uint8Array(40).fill(0xdd)), record(23, new Uint8Array(30).fill(0xcc)))],
    );
    const d = new TlsDissector();
    for (const e of input) d.push(e);
    d.end();
    expect(d.handshake).toMatchObject({ serverName: 'example.com', alpn: 'h2', version: 'TLS 1.2', cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' });
    const list = elements(d.segments);
    expectLeafInvariants(input, d.segments);
    expect(list.filter((e) => e.kind === 'tls-handshake-type').map((e) => e.label)).toEqual(['ClientHello', 'ServerHello', 'Certificate', 'ServerHelloDone']);
    expect(list.find((e) => e.kind === 'tls-handshake')?.label).toBe('Certificate body, 3 bytes');
    expect(list.filter((e) => e.kind === 'tls-encrypted').map((e) => [e.dir, e.label, e.record])).toEqual([
      ['up', 'encrypted, 40 bytes', 3],
      ['down', 'encrypted, 40 bytes', 4],
      ['down', 'encrypted, 30 bytes', 5],
    ]);
  });

  test('a ClientHello split across two records: fields in both, the one cut in two tagged with each record', () => {
    const cut = 100;
    const input = events(['up', bytes(record(22, hello.subarray(0, cut)), record(22, hello.subarray(cut)))]);
    const { segments, handshake } = dissectTls(input);
    expectLeafInvariants(input, segments);
    expect(handshake.serverName).toBe('example.com');
    const split = segments
      .filter((s) => s.kind === 'tls-extension' || s.kind === 'tls-length' || s.kind === 'tls-extension-type')
      .filter((s) => s.part !== 'whole');
    expect(split.map((s) => [s.part, s.record])).toEqual([
      ['first', 1],
      ['last', 2],
    ]);
    for (const size of [1, 3, 11]) {
      const again = resplit(input, size);
      const other = dissectTls(again);
      expectLeafInvariants(again, other.segments);
      expect(elements(other.segments)).toEqual(elements(segments));
    }
  });

  test('GREASE values are recognised (RFC 8701)', () => {
    expect([0x0a0a, 0x1a1a, 0xfafa].every(isGrease)).toBe(true);
    expect([0x0a1a, 0x1301, 0xca34].some(isGrease)).toBe(false);
  });
});

describe('bad input: annotated, never thrown', () => {
  test('a truncated record, and a truncated record header', () => {
    const full = record(23, new Uint8Array(50));
    expect(tls(events(['down', full.subarray(0, 30)])).at(-1)).toMatchObject({ kind: 'incomplete', label: 'incomplete record 1' });
    expect(tls(events(['down', full.subarray(0, 3)]))).toMatchObject([{ kind: 'incomplete', label: 'incomplete record header' }]);
  });

  test('a handshake message announced longer than the records that came', () => {
    const list = tls(events(['up', record(22, handshake(1, new Uint8Array(10)).subarray(0, 8))]));
    expect(list.at(-1)).toMatchObject({ kind: 'incomplete', label: 'incomplete handshake message' });
  });

  test('not TLS at all: an error, then opaque bytes', () => {
    expect(tls(events(['up', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'])).map((e) => e.kind)).toEqual(['error', 'opaque']);
  });

  test('a malformed ClientHello (a vector longer than the message) is an error; the next record still reads', () => {
    const bad = handshake(1, u16(0x0303), new Uint8Array(32), vec8(), u16(200), u16(0x1301));
    const list = tls(events(['up', bytes(record(22, bad), record(21, u8(2, 40)))]));
    expect(list.find((e) => e.kind === 'error')).toMatchObject({ label: 'malformed ClientHello' });
    expect(list.at(-1)).toMatchObject({ kind: 'tls-alert', label: 'alert fatal: handshake_failure' });
  });
});
