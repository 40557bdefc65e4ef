/**
 * One shape for every connection dissector, and a way to pick one from a connection's first
 * client bytes: HTTP/1.1 (`ConnectionDissector`), HTTP/2 with prior knowledge or inside TLS once
 * decrypted (`Http2Dissector`), or the TLS records themselves (`TlsDissector`).
 */
import { ConnectionDissector } from './dissect.ts';
import { CLIENT_PREFACE } from './h2Preface.ts';
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

type BinaryDissectors = typeof import('./binaryDissectors.ts');
let binary: BinaryDissectors | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the HTTP/2 and TLS dissectors (a chunk of their own: most pages never see those
 * protocols). The page starts this once it is idle; a lane that meets such a connection sooner
 * waits for it (`dissectorReady`).
 */
export function loadBinaryDissectors(): Promise<void> {
  loading ??= import('./binaryDissectors.ts').then((module) => {
    binary = module;
  });
  return loading;
}

/** Whether `createDissector(protocol)` can be called now. */
export function dissectorReady(protocol: WireProtocol): boolean {
  return protocol === 'http1' || binary !== undefined;
}

/** A dissector for `protocol`; for `h2` and `tls`, only once `dissectorReady` says so. */
export function createDissector(protocol: WireProtocol): WireDissector {
  if (protocol === 'http1') return new ConnectionDissector();
  if (!binary) throw new Error(`The ${protocol} dissector is not loaded yet: await loadBinaryDissectors() first.`);
  return protocol === 'h2' ? new binary.Http2Dissector() : new binary.TlsDissector();
}
