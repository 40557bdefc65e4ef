/**
 * Tap events as the real server produced them, for the run state's tests: the byte fixtures
 * captured by `npm run fixtures` (client/src/wire/fixtures), moved to a chosen server time and
 * connection, and the page events its client would have reported. Imported only by tests.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { byteEventFromJson } from '../wire/byteEvent.ts';
import type { ByteEventJson } from '../wire/types.ts';
import type { AppEvent } from '../transports/types.ts';
import type { ConnInfo, WireEvent } from './LaneRecord.svelte.ts';

export interface Captured {
  /** The reply's text. */
  text: string;
  /** Reads and writes, the first at server time `at`, gaps as captured. */
  wire: WireEvent[];
}

/** The tokens of the captured SSE reply (`sse.json`), as its `data:` lines carry them. */
export const sseFixtureTokens: readonly string[] = [
  'Hello',
  ',',
  ' wire',
  '!\n',
  'Second',
  ' line',
  ' ',
  '👋',
  '🏽',
  ' with',
  ' data',
  ':',
  ' inside',
  '\r\n',
  'and',
  ' a',
  ' Japanese',
  ' 日本',
  '語',
  ' end',
  '.',
];

/** A captured connection (`sse`, `ws`, `http` or `openai`), its first event at server time `at`, on connection `conn`. */
export function captured(name: 'sse' | 'ws' | 'http' | 'openai', at: number, conn = 1): Captured {
  const file = path.join(import.meta.dirname, '../wire/fixtures', `${name}.json`);
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as { text: string; events: ByteEventJson[] };
  const first = fixture.events[0]!.t;
  return { text: fixture.text, wire: fixture.events.map((json) => ({ ...byteEventFromJson(json), t: json.t - first + at, conn })) };
}

/** Connection `conn` of a captured fixture's lane, as the tap's `open` and `request` announce it: a GET of `/api/stream/<fixture>`, opened at `opened`. */
export function capturedConn(fixture: string, conn: number, opened: number): ConnInfo {
  return { conn, method: 'GET', path: `/api/stream/${fixture}`, remoteAddress: '127.0.0.1', remotePort: 50_000 + conn - 1, localPort: 8080, opened };
}

/** The same bytes re-cut into reads of at most `size` bytes (the tap reports what each read or write carried). */
export function resplit(wire: readonly WireEvent[], size: number): WireEvent[] {
  const out: WireEvent[] = [];
  for (const e of wire) {
    for (let i = 0; i < e.bytes.length; i += size) out.push({ ...e, bytes: e.bytes.subarray(i, i + size), parts: undefined });
  }
  return out;
}

/** The page's side of a reply of `tokens`: request at `at`, the response `open` 5 ms later, a token every 10 ms after that, then `done`. */
export function pageEvents(tokens: readonly string[], at: number): AppEvent[] {
  return [
    { t: at, kind: 'request' },
    { t: at + 5, kind: 'open' },
    ...tokens.map((text, index): AppEvent => ({ t: at + 15 + 10 * index, kind: 'token', index, text })),
    { t: at + 15 + 10 * tokens.length, kind: 'done' },
  ];
}
