import { createParser } from 'eventsource-parser';
/**
 * A run as an HTTP Archive (HAR 1.2, http://www.softwareishard.com/blog/har-12-spec/): one entry
 * per request its lanes made, rebuilt from the tap's bytes. WebSocket messages go in Chrome's
 * `_webSocketMessages`; SSE events in `_eventStreamEvents`, a field of Streamscope's own (README,
 * "HAR files"). Secret header values are masked unless asked for.
 */
import type { Content, Cookie, Entry, Har, Header, QueryString, Timings } from 'har-format';
import type { Run, LaneRecord, LaneSegment, ConnInfo } from './Run.svelte.ts';
import { laneSpec } from './lanes.ts';
import { headerValue } from '../wire/httpHead.ts';
import { contentCoding, isEventStream } from '../wire/framing.ts';
import { concat } from '../wire/spans.ts';
import { encodeBase64 } from '../wire/byteEvent.ts';
import type { Exchange, HttpHeader } from '../wire/types.ts';

/** Header names whose values are credentials: masked in an export unless `includeSecrets`. */
export const secretHeaders: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
export const masked = '[masked by Streamscope]';

export interface HarOptions {
  /** Keep the values of `secretHeaders` (off by default). */
  includeSecrets?: boolean;
  /** Written in `log.creator.version`. */
  version?: string;
}

/** A WebSocket message as Chrome's DevTools writes it in a HAR: `time` in seconds since the epoch. */
export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  time: number;
  opcode: number;
  data: string;
}

/** One SSE event of a response (Streamscope's extension): `time` in seconds since the epoch, like Chrome's WebSocket messages. */
export interface HarEventStreamEvent {
  time: number;
  id: string;
  event: string;
  data: string;
}

export type HarEntry = Entry & {
  _eventStreamEvents?: HarEventStreamEvent[];
  /** The Streamscope lane that made the request. */
  _lane?: string;
};

const headLayer = new Set(['request-line', 'status-line', 'header', 'head-end', 'empty-line']);
const framingKinds = new Set(['chunk-size', 'chunk-crlf', 'chunk-last', 'trailer', 'chunk-end', 'error']);

/** Bytes that are the message's content (framing and heads left out). */
function isContent(s: LaneSegment): boolean {
  if (s.layer === 'http' || s.layer === 'ws') return false;
  if (s.layer === 'chunked') return s.kind === 'chunk-data';
  return !framingKinds.has(s.kind);
}

function isBodyOnWire(s: LaneSegment): boolean {
  return s.layer !== 'http' && s.layer !== 'ws' && !headLayer.has(s.kind);
}

const ms = (n: number): number => Math.max(0, Math.round(n * 1000) / 1000);

function harHeaders(headers: readonly HttpHeader[], secrets: boolean): Header[] {
  return headers.map(({ name, value }) => ({ name, value: !secrets && secretHeaders.includes(name.toLowerCase()) ? masked : value }));
}

function requestCookies(headers: readonly HttpHeader[], secrets: boolean): Cookie[] {
  return headers
    .filter((h) => h.name.toLowerCase() === 'cookie')
    .flatMap((h) => h.value.split(';'))
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return { name: eq < 0 ? pair : pair.slice(0, eq), value: secrets ? (eq < 0 ? '' : pair.slice(eq + 1)) : masked };
    });
}

function responseCookies(headers: readonly HttpHeader[], secrets: boolean): Cookie[] {
  return headers
    .filter((h) => h.name.toLowerCase() === 'set-cookie')
    .map((h) => {
      const first = h.value.split(';')[0]!.trim();
      const eq = first.indexOf('=');
      return { name: eq < 0 ? first : first.slice(0, eq), value: secrets ? (eq < 0 ? '' : first.slice(eq + 1)) : masked };
    });
}

function queryString(target: string): QueryString[] {
  const q = target.indexOf('?');
  if (q < 0) return [];
  return [...new URLSearchParams(target.slice(q + 1))].map(([name, value]) => ({ name, value }));
}

/** Text if the bytes are UTF-8, else base64. */
function asText(bytes: Uint8Array): { text: string; encoding?: 'base64' } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { text: encodeBase64(bytes), encoding: 'base64' };
  }
}

/** Decodes gzip or deflate as the browser would; as much as decodes if the body was cut short. */
async function decompress(bytes: Uint8Array, coding: string): Promise<Uint8Array | undefined> {
  if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== 'deflate') return undefined;
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream(coding === 'deflate' ? 'deflate' : 'gzip'));
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      length += value.length;
    }
  } catch {
    // A body cut short (a stopped run): keep what decoded.
  }
  return concat(parts, length);
}

/**
 * The SSE events in a body, each with the time its dispatching blank line arrived: `pieces` are
 * the body's bytes as they arrived (undefined times when only the whole is known). Parsed by
 * eventsource-parser, the parser the page's fetch lanes use, so the HAR holds what they saw.
 */
export function eventStreamEvents(pieces: readonly { bytes: Uint8Array; t: number }[]): { t: number; id: string; event: string; data: string }[] {
  const out: { t: number; id: string; event: string; data: string }[] = [];
  const decoder = new TextDecoder();
  let t = 0;
  let lastId = '';
  const parser = createParser({
    onEvent: (e) => {
      // An event without `id:` keeps the last id (the spec's last event ID buffer).
      if (e.id !== undefined) lastId = e.id;
      out.push({ t, id: lastId, event: e.event ?? 'message', data: e.data });
    },
  });
  for (const piece of pieces) {
    t = piece.t;
    parser.feed(decoder.decode(piece.bytes, { stream: true }));
  }
  return out;
}

interface ExchangeParts {
  conn: ConnInfo | undefined;
  connId: number;
  exchange: Exchange;
  segments: LaneSegment[];
}

function exchangesOf(lane: LaneRecord): ExchangeParts[] {
  const byKey = new Map<string, LaneSegment[]>();
  for (const s of lane.segments) {
    if (s.exchange === undefined) continue;
    const key = `${s.conn}:${s.exchange}`;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(s);
  }
  const out: ExchangeParts[] = [];
  for (const { conn, exchanges } of lane.exchanges()) {
    for (const exchange of exchanges) {
      if (!exchange.request) continue;
      out.push({ conn: lane.conns.get(conn), connId: conn, exchange, segments: byKey.get(`${conn}:${exchange.index}`) ?? [] });
    }
  }
  return out;
}

function resourceType(lane: LaneRecord, exchange: Exchange): 'websocket' | 'eventsource' | 'fetch' {
  if (exchange.upgrade?.toLowerCase() === 'websocket' || exchange.response?.status === 101) return 'websocket';
  // A lane opened from a HAR says what it was in its title ("EventSource from …").
  const how = lane.origin?.title ?? laneSpec(lane.id).how;
  if (how.startsWith('EventSource') && exchange.request?.method === 'GET' && exchange.response && isEventStream(exchange.response)) return 'eventsource';
  return 'fetch';
}

/** The messages of a WebSocket exchange, in the order their last bytes arrived; `toTab` turns server times into tab times. */
function webSocketMessages(segments: readonly LaneSegment[], toTab: (t: number) => number): HarWebSocketMessage[] {
  const frames = new Map<string, { dir: 'up' | 'down'; t: number; opcode: number; payload: Uint8Array[]; length: number }>();
  for (const s of segments) {
    if (s.layer !== 'ws' || s.frame === undefined) continue;
    const key = `${s.dir}:${s.frame}`;
    let f = frames.get(key);
    if (!f) frames.set(key, (f = { dir: s.dir, t: s.t, opcode: -1, payload: [], length: 0 }));
    f.t = s.t;
    if (s.kind === 'ws-fin-opcode' && s.bytes.length > 0) f.opcode = s.bytes[0]! & 0x0f;
    if (s.kind === 'ws-payload' || s.kind === 'ws-close-code' || s.kind === 'ws-close-reason') {
      const bytes = s.unmasked ?? s.bytes;
      f.payload.push(bytes);
      f.length += bytes.length;
    }
  }
  return [...frames.values()]
    .filter((f) => f.opcode === 0 || f.opcode === 1 || f.opcode === 2)
    .sort((a, b) => a.t - b.t)
    .map((f) => {
      const bytes = concat(f.payload, f.length);
      return {
        type: f.dir === 'up' ? 'send' : 'receive',
        time: toTab(f.t) / 1000,
        opcode: f.opcode,
        data: f.opcode === 2 ? encodeBase64(bytes) : new TextDecoder().decode(bytes),
      };
    });
}

async function entryOf(run: Run, lane: LaneRecord, parts: ExchangeParts, secrets: boolean): Promise<HarEntry> {
  const { exchange, segments } = parts;
  const request = exchange.request!;
  const response = exchange.response;
  const toTab = (t: number) => t - run.offset;
  const type = resourceType(lane, exchange);
  const up = segments.filter((s) => s.dir === 'up' && (type !== 'websocket' || s.layer === 'http'));
  const down = segments.filter((s) => s.dir === 'down' && (type !== 'websocket' || s.layer === 'http'));
  const requestStart = up[0]?.t ?? request.t;
  const requestEnd = up.at(-1)?.t ?? request.t;
  const firstByte = down[0]?.t;
  const lastByte = down.at(-1)?.t;

  const host = headerValue(request, 'host') ?? (typeof location !== 'undefined' ? location.host : 'localhost');
  const scheme = type === 'websocket' ? 'ws' : 'http';
  const url = parts.conn?.url && exchange.index === 1 ? parts.conn.url : `${scheme}://${host}${request.target}`;

  const requestBody = up.filter(isContent);
  const requestBytes = concat(
    requestBody.map((s) => s.bytes),
    requestBody.reduce((n, s) => n + s.length, 0),
  );
  const entryRequest: Entry['request'] = {
    method: request.method,
    url,
    httpVersion: request.version,
    cookies: requestCookies(request.headers, secrets),
    headers: harHeaders(request.headers, secrets),
    queryString: queryString(request.target),
    headersSize: request.length,
    bodySize: requestBytes.length,
  };
  if (requestBytes.length > 0 || ['POST', 'PUT', 'PATCH'].includes(request.method)) {
    entryRequest.postData = { mimeType: headerValue(request, 'content-type') ?? '', text: new TextDecoder().decode(requestBytes) };
  }

  // The body as the page's code got it: framing off, content coding undone.
  const body = down.filter(isContent);
  const wireBody = down.filter(isBodyOnWire).reduce((n, s) => n + s.length, 0);
  let bytes = concat(
    body.map((s) => s.bytes),
    body.reduce((n, s) => n + s.length, 0),
  );
  const coding = response ? contentCoding(response) : undefined;
  let comment: string | undefined;
  let decoded = true;
  if (coding) {
    const plain = await decompress(bytes, coding);
    if (plain) bytes = plain;
    else {
      decoded = false;
      comment = `The body is ${coding}-coded as it crossed the wire; Streamscope cannot decode ${coding}, so the text is those bytes in base64.`;
    }
  }
  const mimeType = response ? (headerValue(response, 'content-type') ?? 'x-unknown') : 'x-unknown';
  const content: Content = { size: type === 'websocket' ? 0 : bytes.length, mimeType };
  if (type !== 'websocket' && bytes.length > 0) {
    const text = decoded ? asText(bytes) : { text: encodeBase64(bytes), encoding: 'base64' as const };
    content.text = text.text;
    if (text.encoding) content.encoding = text.encoding;
    if (coding && decoded) content.compression = bytes.length - wireBody;
  }
  if (comment) content.comment = comment;

  const send = ms(requestEnd - requestStart);
  const wait = firstByte === undefined ? -1 : ms(firstByte - requestEnd);
  const receive = lastByte === undefined || firstByte === undefined ? -1 : ms(lastByte - firstByte);
  const timings: Timings = { blocked: -1, dns: -1, connect: -1, ssl: -1, send, wait, receive };
  const entry: HarEntry = {
    startedDateTime: new Date(toTab(requestStart)).toISOString(),
    time: ms(send + Math.max(0, wait) + Math.max(0, receive)),
    request: entryRequest,
    response: {
      status: response?.status ?? 0,
      statusText: response?.reason ?? '',
      httpVersion: response?.version ?? '',
      cookies: response ? responseCookies(response.headers, secrets) : [],
      headers: response ? harHeaders(response.headers, secrets) : [],
      content,
      redirectURL: (response && headerValue(response, 'location')) ?? '',
      headersSize: response?.length ?? -1,
      bodySize: response ? wireBody : -1,
      ...(response ? {} : { comment: 'No response arrived before the run ended.' }),
    },
    cache: {},
    timings,
    connection: String(parts.connId),
    _resourceType: type,
    _lane: lane.id,
  };
  if (parts.conn?.remoteAddress) entry.serverIPAddress = parts.conn.remoteAddress.replace(/^::ffff:/, '');
  if (type === 'websocket') entry._webSocketMessages = webSocketMessages(segments, toTab);
  if (response && isEventStream(response) && decoded) {
    // Each event at the time its last byte arrived, or for a coded body (whose SSE lines are not
    // on the wire) the time the body ended.
    const pieces = coding ? [{ bytes, t: lastByte ?? requestEnd }] : body.map((s) => ({ bytes: s.bytes, t: s.t }));
    entry._eventStreamEvents = eventStreamEvents(pieces).map(({ t, id, event, data }) => ({ time: toTab(t) / 1000, id, event, data }));
  }
  return entry;
}

/** The run as a HAR 1.2 log, entries in the order their requests started. */
export async function toHar(run: Run, options: HarOptions = {}): Promise<Har> {
  const secrets = options.includeSecrets === true;
  const entries: HarEntry[] = [];
  for (const lane of run.lanes) {
    for (const parts of exchangesOf(lane)) entries.push(await entryOf(run, lane, parts, secrets));
  }
  entries.sort((a, b) => Date.parse(a.startedDateTime) - Date.parse(b.startedDateTime));
  return {
    log: {
      version: '1.2',
      creator: { name: 'Streamscope', version: options.version ?? '0.1.0' },
      entries,
      comment: secrets ? `Run ${run.id}. Secret headers are included as sent.` : `Run ${run.id}. Values of ${secretHeaders.join(', ')} headers are masked.`,
    },
  };
}

export async function downloadHar(run: Run, options: HarOptions = {}): Promise<void> {
  const har = await toHar(run, options);
  const blob = new Blob([JSON.stringify(har, null, 1)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `streamscope-${run.id}.har`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
