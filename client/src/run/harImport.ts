/**
 * A HAR (from Chrome's or Firefox's Network panel, Playwright's `recordHar`, or Streamscope's own
 * export) opened as a run: its event streams and WebSockets become lanes. A HAR keeps a response
 * body whole and its end time, not the writes it came in, so each lane's bytes are rebuilt from
 * what it holds (request and status lines, headers, the body, WebSocket messages) and the lane
 * says so.
 */
import type { Entry, Har, Header } from 'har-format';
import { laneIds, laneOfPath, type LaneId } from './lanes.ts';
import { Run } from './Run.svelte.ts';
import type { AppEvent } from '../transports/types.ts';
import { defaultSettings } from './settings.ts';
import { decodeBase64 } from '../wire/byteEvent.ts';
import { eventStreamEvents } from './harExport.ts';
import { tokenOf, type TokenCounter } from '../wire/tokens.ts';

export const harNote = 'From a HAR: it keeps neither chunk boundaries nor per-chunk times; the page shows what the HAR holds.';

type Kind = 'eventsource' | 'fetch' | 'websocket';

/** Entry fields browsers and tools add to HAR 1.2 (Chrome, Playwright, Streamscope). */
type AnyEntry = Omit<Entry, '_resourceType' | '_webSocketMessages'> & {
  _resourceType?: string;
  _webSocketMessages?: { type?: string; time?: number; opcode?: number; data?: string }[];
  _eventSourceMessages?: { time?: number; eventName?: string; eventId?: string; data?: string }[];
  _eventStreamEvents?: { time?: number; id?: string; event?: string; data?: string }[];
};

export interface HarImport {
  run: Run;
  /** Entries that are neither an event stream nor a WebSocket (pages, scripts, JSON…). */
  ignored: number;
  /** Streams left out because every lane slot of their kind was taken. */
  dropped: number;
  /** What the page says about the import. */
  summary: string;
}

/** Lane slots per kind, in the order they are used (each has its colour and keeps its place). */
const pools: Record<Kind, readonly LaneId[]> = {
  eventsource: [
    'sse',
    'lb-sse',
    'auth-sse',
    'drop-sse',
    'slow-sse',
    'proxy-sse',
    'accel-proxy-sse',
    'gzip-sse',
    'gzip-flush-sse',
    'idle-sse',
    'idle-hb-sse',
    'stop-sse',
  ],
  fetch: ['openai', 'anthropic', 'cut-fetch', 'resume-fetch', 'http', 'cached-http', 'chat-http'],
  websocket: ['ws', 'lb-ws', 'stop-ws', 'chat-ws'],
};

const kindTitle: Record<Kind, string> = { eventsource: 'EventSource', fetch: 'fetch stream', websocket: 'WebSocket' };

/** Whether a parsed file looks like a HAR (rather than a Streamscope recording). */
export function looksLikeHar(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'log' in value;
}

function header(headers: readonly Header[] | undefined, name: string): string | undefined {
  return headers?.find((h) => h.name.toLowerCase() === name)?.value;
}

function mimeOf(entry: AnyEntry): string {
  const type = entry.response?.content?.mimeType || header(entry.response?.headers, 'content-type') || '';
  return type.split(';')[0]!.trim().toLowerCase();
}

function kindOf(entry: AnyEntry): Kind | undefined {
  const type = entry._resourceType?.toLowerCase();
  const url = entry.request?.url ?? '';
  if (
    type === 'websocket' ||
    Array.isArray(entry._webSocketMessages) ||
    /^wss?:/i.test(url) ||
    (entry.response?.status === 101 && /websocket/i.test(header(entry.response.headers, 'upgrade') ?? ''))
  ) {
    return 'websocket';
  }
  if (mimeOf(entry) === 'text/event-stream' || Array.isArray(entry._eventSourceMessages))
    return type === 'eventsource'
      ? 'eventsource'
      : type === 'fetch' || type === 'xhr'
        ? 'fetch'
        : /text\/event-stream/i.test(header(entry.request?.headers, 'accept') ?? '') && entry.request?.method === 'GET'
          ? 'eventsource'
          : 'fetch';
  return undefined;
}

/** Chrome writes WebSocket message times in seconds since the epoch, Playwright in ms: told apart by size. */
function epochMs(time: number): number {
  return time > 1e11 ? time : time * 1000;
}

const utf8 = new TextEncoder();
const crlf = '\r\n';

/** Headers that describe the body's framing on the wire, which the HAR no longer has (its body is decoded and whole). */
const framingHeaders = new Set(['transfer-encoding', 'content-length', 'content-encoding']);

function headLines(headers: readonly Header[] | undefined, drop: (name: string) => boolean): string {
  return (headers ?? [])
    .filter((h) => !h.name.startsWith(':') && !drop(h.name.toLowerCase()))
    .map((h) => `${h.name}: ${h.value.replace(/[\r\n]+/g, ' ')}${crlf}`)
    .join('');
}

/** A WebSocket frame of one message (RFC 6455 §5.2): FIN set; a client's masked with the key 0 0 0 0, which leaves the payload as it is. */
function frame(opcode: number, payload: Uint8Array, fromClient: boolean): Uint8Array {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const out = new Uint8Array(2 + ext + (fromClient ? 4 : 0) + len);
  out[0] = 0x80 | (opcode & 0x0f);
  out[1] = (fromClient ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  const view = new DataView(out.buffer);
  if (ext === 2) view.setUint16(2, len);
  if (ext === 8) view.setBigUint64(2, BigInt(len));
  out.set(payload, 2 + ext + (fromClient ? 4 : 0));
  return out;
}

/** The reply text a message carries: a token of a known shape (Streamscope, OpenAI, Anthropic), else its text unless it is JSON. */
function textOf(data: string, counter: TokenCounter): string | undefined {
  if (data === '[DONE]') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return data;
  }
  if (typeof value !== 'object' || value === null) return data;
  return tokenOf(value, counter)?.text;
}

interface LanePlan {
  id: LaneId;
  kind: Kind;
  url: string;
  entries: AnyEntry[];
}

function validate(value: unknown): AnyEntry[] {
  if (!looksLikeHar(value)) throw new Error('This file is not a HAR (it has no "log").');
  const log = (value as Partial<Har>).log;
  if (!log || typeof log !== 'object' || !Array.isArray(log.entries)) throw new Error('This HAR has no "log.entries" list.');
  for (const [i, e] of log.entries.entries()) {
    if (!e || typeof e !== 'object' || !e.request || typeof e.request.url !== 'string' || !e.response || typeof e.startedDateTime !== 'string') {
      throw new Error(`Entry ${i + 1} of the HAR has no request URL, response or startedDateTime.`);
    }
    if (!Number.isFinite(Date.parse(e.startedDateTime)))
      throw new Error(`Entry ${i + 1} of the HAR has a startedDateTime that is not a date: "${e.startedDateTime}".`);
  }
  return log.entries as AnyEntry[];
}

/** Opens a parsed HAR as a run; throws an Error that says what is wrong if it is not one. */
export function fromHar(value: unknown, name = 'HAR'): HarImport {
  const entries = validate(value);
  const plans: LanePlan[] = [];
  const taken = new Set<LaneId>();
  let ignored = 0;
  let dropped = 0;
  for (const entry of entries) {
    const kind = kindOf(entry);
    if (!kind) {
      ignored++;
      continue;
    }
    const url = entry.request.url;
    // The same stream again (EventSource reconnecting, a second fetch) joins its lane as another connection.
    const same = plans.find((p) => p.kind === kind && p.url === url);
    if (same) {
      same.entries.push(entry);
      continue;
    }
    let path = url;
    try {
      path = new URL(url).pathname;
    } catch {
      // Keep the URL as it is.
    }
    const own = laneOfPath(path);
    const id = own && !taken.has(own) && pools[kind].includes(own) ? own : pools[kind].find((l) => !taken.has(l));
    if (!id) {
      dropped++;
      continue;
    }
    taken.add(id);
    plans.push({ id, kind, url, entries: [entry] });
  }
  if (plans.length === 0) {
    throw new Error(
      `${name} has no event stream (text/event-stream) and no WebSocket among its ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, so there is nothing to show.`,
    );
  }
  plans.sort((a, b) => laneIds.indexOf(a.id) - laneIds.indexOf(b.id));
  const start = Math.min(...plans.map((p) => Date.parse(p.entries[0]!.startedDateTime)));
  const run = new Run(
    `har-${Math.floor(start).toString(36)}`,
    { ...defaultSettings },
    plans.map((p) => p.id),
    start,
  );
  let conn = 0;
  for (const plan of plans) {
    const lane = run.lane(plan.id)!;
    const app: AppEvent[] = [];
    const counter: TokenCounter = { next: 0 };
    let index = 0;
    let end = start;
    let messages = 0;
    let bodiless = 0;
    for (const entry of plan.entries) {
      conn++;
      const t0 = Date.parse(entry.startedDateTime);
      const timing = (n: number | undefined) => (typeof n === 'number' && n > 0 ? n : 0);
      // The request leaves once the connection is up (blocked, DNS, connect: SSL is within connect).
      const leaves = t0 + timing(entry.timings?.blocked) + timing(entry.timings?.dns) + timing(entry.timings?.connect);
      const sent = leaves + timing(entry.timings?.send);
      const firstByte = sent + timing(entry.timings?.wait);
      const total = typeof entry.time === 'number' && entry.time > 0 ? entry.time : 0;
      const last = Math.max(firstByte + timing(entry.timings?.receive), t0 + total);
      const request = entry.request;
      let target = request.url;
      let host = '';
      try {
        const u = new URL(request.url);
        target = u.pathname + u.search;
        host = u.host;
      } catch {
        // A URL the page cannot parse is sent as it is.
      }
      const response = entry.response;
      const status = response.status || 0;
      const reqHeaders = headLines(request.headers, (n) => n === 'host');
      const body = request.postData?.text ?? '';
      const up = `${request.method || 'GET'} ${target} HTTP/1.1${crlf}Host: ${header(request.headers, 'host') ?? header(request.headers, ':authority') ?? host}${crlf}${reqHeaders}${body ? `Content-Length: ${utf8.encode(body).length}${crlf}` : ''}${crlf}${body}`;
      const statusText = response.statusText || (status === 101 ? 'Switching Protocols' : '');
      const down = `HTTP/1.1 ${status} ${statusText}${crlf}${headLines(response.headers, (n) => plan.kind !== 'websocket' && framingHeaders.has(n))}${crlf}`;
      lane.addConn({
        conn,
        method: request.method || 'GET',
        path: target,
        remoteAddress: entry.serverIPAddress ?? '',
        remotePort: 0,
        localPort: 0,
        opened: t0,
        closed: last,
        url: request.url,
      });
      lane.addWire({ t: leaves, conn, dir: 'up', bytes: utf8.encode(up) });
      app.push({ t: t0, kind: 'request' });
      lane.addWire({ t: firstByte, conn, dir: 'down', bytes: utf8.encode(down) });
      if (status > 0) app.push({ t: firstByte, kind: 'open' });
      const token = (t: number, data: string) => {
        const text = textOf(data, counter);
        if (text !== undefined) app.push({ t, kind: 'token', index: index++, text });
      };
      if (plan.kind === 'websocket') {
        const list = (entry._webSocketMessages ?? []).filter((m) => typeof m.data === 'string' && typeof m.opcode === 'number');
        for (const m of list) {
          const t = typeof m.time === 'number' && m.time > 0 ? Math.max(firstByte, epochMs(m.time)) : last;
          const fromClient = m.type === 'send';
          const payload = m.opcode === 2 ? decodeBase64(m.data!) : utf8.encode(m.data!);
          lane.addWire({ t, conn, dir: fromClient ? 'up' : 'down', bytes: frame(m.opcode!, payload, fromClient) });
          if (fromClient) app.push({ t, kind: 'sent', text: m.data });
          else if (m.opcode === 1) token(t, m.data!);
          messages++;
          end = Math.max(end, t);
        }
      } else {
        const content = response.content;
        const text = typeof content?.text === 'string' ? (content.encoding === 'base64' ? decodeBase64(content.text) : utf8.encode(content.text)) : undefined;
        // Times per event only where the file has them (Streamscope's export, or a tool's
        // `_eventSourceMessages`); otherwise the body is one piece, at the time the response ended.
        const timed = entry._eventStreamEvents?.length
          ? entry._eventStreamEvents.map((e) => ({ time: e.time, id: e.id ?? '', event: e.event ?? 'message', data: e.data ?? '' }))
          : undefined;
        const fromTool =
          !timed && entry._eventSourceMessages?.length
            ? entry._eventSourceMessages.map((e) => ({ time: e.time, id: e.eventId ?? '', event: e.eventName ?? 'message', data: e.data ?? '' }))
            : undefined;
        const events = timed ?? fromTool;
        if (events && events.every((e) => typeof e.time === 'number')) {
          const times = events.map((e) => Math.min(last, Math.max(firstByte, epochMs(e.time!))));
          if (text && timed) {
            // Split the body at each event's end, so each event's bytes arrive at its time.
            const found = eventStreamEvents([{ bytes: text, t: 0 }]);
            const cuts = blockEnds(text);
            if (found.length === events.length && cuts.length >= events.length) {
              let from = 0;
              events.forEach((_, i) => {
                lane.addWire({ t: times[i]!, conn, dir: 'down', bytes: text.subarray(from, cuts[i]!) });
                from = cuts[i]!;
              });
              if (from < text.length) lane.addWire({ t: last, conn, dir: 'down', bytes: text.subarray(from) });
            } else lane.addWire({ t: last, conn, dir: 'down', bytes: text });
          } else if (text) lane.addWire({ t: last, conn, dir: 'down', bytes: text });
          events.forEach((e, i) => token(times[i]!, e.data));
          messages += events.length;
        } else if (!text || text.length === 0) {
          bodiless++;
        } else {
          lane.addWire({ t: last, conn, dir: 'down', bytes: text });
          const found = eventStreamEvents([{ bytes: text, t: last }]);
          for (const e of found) token(last, e.data);
          messages += found.length;
        }
      }
      end = Math.max(end, last);
    }
    app.push({ t: end, kind: 'done' });
    app.sort((a, b) => a.t - b.t);
    for (const e of app) lane.addApp(e);
    const first = plan.entries[0]!;
    const what = plan.kind === 'websocket' ? 'WebSocket message' : 'event';
    lane.origin = {
      title: `${kindTitle[plan.kind]} from ${name}`,
      how: `${first.request.method || 'GET'} ${shortUrl(plan.url)}${plan.entries.length > 1 ? ` (${plan.entries.length} requests)` : ''} · ${messages} ${what}${messages === 1 ? '' : 's'}`,
      note:
        plan.kind === 'websocket'
          ? `${harNote} For a WebSocket it keeps each message and its time, not the frames as sent: the frames here are rebuilt from the messages.`
          : `${harNote} Here the whole body arrives at the time the response ended${plan.entries.some((e) => e._eventStreamEvents?.length) ? ', except where the file gives each event its time' : ''}.` +
            (bodiless
              ? ` ${bodiless === plan.entries.length ? 'The HAR has no body for this response' : `The HAR has no body for ${bodiless} of these responses`}: a browser keeps none for a stream the page closed before it ended.`
              : ''),
    };
  }
  run.state = 'replay';
  const lanes = plans.length;
  const summary =
    `Opened ${name}: ${lanes} ${lanes === 1 ? 'stream' : 'streams'} as lanes` +
    (ignored ? `; ${ignored} other ${ignored === 1 ? 'request' : 'requests'} ignored (not an event stream or a WebSocket)` : '') +
    (dropped ? `; ${dropped} more ${dropped === 1 ? 'stream' : 'streams'} left out (no lane left for them)` : '') +
    '.';
  return { run, ignored, dropped, summary };
}

/** A URL for a lane's subtitle: without its query, which can be long (it stays in the request line). */
function shortUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}

/** Byte offsets just after each blank line that ends an event block with data. */
function blockEnds(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let lineStart = 0;
  let hasData = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x0a && b !== 0x0d) continue;
    const end = b === 0x0d && bytes[i + 1] === 0x0a ? i + 2 : i + 1;
    if (i === lineStart) {
      if (hasData) out.push(end);
      hasData = false;
    } else if (bytes[lineStart] === 0x64 && /^data(:|$)/.test(String.fromCharCode(...bytes.subarray(lineStart, Math.min(i, lineStart + 5))))) hasData = true;
    i = end - 1;
    lineStart = end;
  }
  return out;
}
