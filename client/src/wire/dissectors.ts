/**
 * One shape for every connection dissector, and a way to pick one from a connection's first
 * client bytes: HTTP/1.1 (`ConnectionDissector`), HTTP/2 with prior knowledge or inside TLS once
 * decrypted (`Http2Dissector`), or the TLS records themselves (`TlsDissector`).
 */
import { ConnectionDissector } from './dissect.ts';
import { CLIENT_PREFACE, Http2Dissector } from './http2.ts';
import { TlsDissector } from './tls.ts';
import type { ByteEvent, Direction, Segment, WireSummary } from './types.ts';

/** What a lane needs from a dissector: push events as they come, end, and read leaves and figures. */
export interface WireDissector {
  push(event: ByteEvent): Segment[];
  end(): Segment[];
  readonly segments: readonly Segment[];
  readonly summary: WireSummary;
  pending(dir: Direction): { offset: number; length: number };
}

export type WireProtocol = 'http1' | 'h2' | 'tls';

const preface = new TextEncoder().encode(CLIENT_PREFACE);

/**
 * Which protocol a connection speaks, from the first bytes the client sent; undefined while
 * too few bytes have come to tell. A TLS record starts with content type 22 (handshake) and
 * version 3.x; HTTP/2 with prior knowledge starts with the 24-byte preface; anything else is
 * taken for HTTP/1.1.
 */
export function sniffProtocol(first: Uint8Array): WireProtocol | undefined {
  if (first.length === 0) return undefined;
  if (first[0] === 0x16) return first.length < 2 ? undefined : first[1] === 0x03 ? 'tls' : 'http1';
  const n = Math.min(first.length, preface.length);
  for (let i = 0; i < n; i++) if (first[i] !== preface[i]) return 'http1';
  return first.length >= preface.length ? 'h2' : undefined;
}

export function createDissector(protocol: WireProtocol): WireDissector {
  switch (protocol) {
    case 'http1':
      return new ConnectionDissector();
    case 'h2':
      return new Http2Dissector();
    case 'tls':
      return new TlsDissector();
  }
}
