import { beforeAll, expect, test } from 'vitest';
import { createDissector, loadBinaryDissectors, sniffProtocol } from './dissectors.ts';
import { ConnectionDissector } from './dissect.ts';
import { CLIENT_PREFACE, Http2Dissector } from './http2.ts';
import { bytes } from './testKit.ts';
import { TlsDissector } from './tls.ts';

// HTTP/2 and TLS are read by a chunk the page loads on its own.
beforeAll(() => loadBinaryDissectors());

test('sniffProtocol: TLS, the HTTP/2 preface, HTTP/1.1, and too few bytes to tell', () => {
  expect(sniffProtocol(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00]))).toBe('tls');
  expect(sniffProtocol(bytes(CLIENT_PREFACE))).toBe('h2');
  expect(sniffProtocol(bytes('PRI * HTTP/2.0'))).toBeUndefined();
  expect(sniffProtocol(bytes('GET / HTTP/1.1\r\n'))).toBe('http1');
  expect(sniffProtocol(bytes('PRIVATE'))).toBe('http1');
  expect(sniffProtocol(new Uint8Array([0x16]))).toBeUndefined();
  expect(sniffProtocol(new Uint8Array(0))).toBeUndefined();
});

test('createDissector: one class per protocol, all with the push/end shape', () => {
  expect(createDissector('http1')).toBeInstanceOf(ConnectionDissector);
  expect(createDissector('h2')).toBeInstanceOf(Http2Dissector);
  expect(createDissector('tls')).toBeInstanceOf(TlsDissector);
  const d = createDissector('h2');
  expect(d.push({ t: 1, dir: 'up', bytes: bytes(CLIENT_PREFACE) }).map((s) => s.kind)).toEqual(['h2-preface']);
  expect(d.end()).toEqual([]);
  expect(() => d.push({ t: 2, dir: 'up', bytes: bytes('x') })).toThrow(/after end/);
  expect(d.summary.byLayer.h2).toBe(24);
});
