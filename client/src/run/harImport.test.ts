import { describe, expect, test } from 'vitest';
import type { Entry, Har } from 'har-format';
import { Run } from './Run.svelte.ts';
import { defaultSettings } from './settings.ts';
import { captured, capturedConn, pageEvents } from './capturedLane.ts';
import { toHar } from './harExport.ts';
import { fromHar, harNote, looksLikeHar } from './harImport.ts';
import { fromRecording, toRecording } from './recording.ts';
import harValidator from '@har-sdk/validator';

const { HarValidator } = harValidator;

const t0 = 1_700_000_000_000;
const dec = new TextDecoder();

function recordedRun(): Run {
  const ids = ['sse', 'ws', 'http'] as const;
  const run = new Run('r42', { ...defaultSettings }, ids, t0);
  for (const [i, lane] of run.lanes.entries()) {
    const fixture = ids[i]!;
    const conn = i + 1;
    lane.addConn(capturedConn(fixture, conn, t0 + 100));
    for (const e of captured(fixture, t0 + 100, conn).wire) lane.addWire(e);
    for (const e of pageEvents(['Hello', ','], t0)) lane.addApp(e);
    lane.closeConn(conn, t0 + 900);
  }
  run.offset = 50;
  run.state = 'ended';
  return run;
}

/** The bytes a lane shows, per direction, as text. */
function wireText(run: Run, id: string, dir: 'up' | 'down'): string {
  const lane = run.lanes.find((l) => l.id === id)!;
  return lane.wire
    .filter((e) => e.dir === dir)
    .map((e) => dec.decode(e.bytes))
    .join('');
}

const iso = (ms: number) => new Date(ms).toISOString();
const base = { cache: {}, timings: { send: 1, wait: 40, receive: 200 }, time: 241 };

/** A HAR shaped like Chrome's "Save all as HAR": HTTP/2 pseudo-headers, `_resourceType`, WebSocket message times in seconds. */
function chromeHar(): Har {
  const entries = [
    {
      ...base,
      startedDateTime: iso(t0),
      _resourceType: 'document',
      request: {
        method: 'GET',
        url: 'https://chat.example/',
        httpVersion: 'http/2.0',
        headers: [{ name: ':authority', value: 'chat.example' }],
        queryString: [],
        cookies: [],
        headersSize: -1,
        bodySize: 0,
      },
      response: {
        status: 200,
        statusText: '',
        httpVersion: 'http/2.0',
        headers: [{ name: 'content-type', value: 'text/html' }],
        cookies: [],
        content: { size: 5, mimeType: 'text/html', text: '<p>hi' },
        redirectURL: '',
        headersSize: -1,
        bodySize: -1,
      },
    },
    {
      ...base,
      startedDateTime: iso(t0 + 100),
      _resourceType: 'eventsource',
      request: {
        method: 'GET',
        url: 'https://chat.example/events?room=1',
        httpVersion: 'http/2.0',
        headers: [
          { name: ':method', value: 'GET' },
          { name: ':authority', value: 'chat.example' },
          { name: 'accept', value: 'text/event-stream' },
        ],
        queryString: [{ name: 'room', value: '1' }],
        cookies: [],
        headersSize: -1,
        bodySize: 0,
      },
      response: {
        status: 200,
        statusText: '',
        httpVersion: 'http/2.0',
        headers: [
          { name: 'content-type', value: 'text/event-stream; charset=utf-8' },
          { name: 'content-encoding', value: 'br' },
        ],
        cookies: [],
        content: { size: 36, mimeType: 'text/event-stream', text: 'data: Hello\n\ndata: , wire\n\n: ping\n\n' },
        redirectURL: '',
        headersSize: -1,
        bodySize: 30,
      },
    },
    {
      ...base,
      startedDateTime: iso(t0 + 200),
      _resourceType: 'fetch',
      request: {
        method: 'POST',
        url: 'https://api.example/v1/chat/completions',
        httpVersion: 'http/2.0',
        headers: [{ name: 'content-type', value: 'application/json' }],
        queryString: [],
        cookies: [],
        headersSize: -1,
        bodySize: 13,
        postData: { mimeType: 'application/json', text: '{"stream":1}' },
      },
      response: {
        status: 200,
        statusText: '',
        httpVersion: 'http/2.0',
        headers: [{ name: 'content-type', value: 'text/event-stream' }],
        cookies: [],
        content: {
          size: 0,
          mimeType: 'text/event-stream',
          text:
            'data: {"object":"chat.completion.chunk","choices":[{"delta":{"role":"assistant","content":""}}]}\n\n' +
            'data: {"object":"chat.completion.chunk","choices":[{"delta":{"content":"Hi"}}]}\n\n' +
            'data: {"object":"chat.completion.chunk","choices":[{"delta":{"content":" there"}}]}\n\n' +
            'data: [DONE]\n\n',
        },
        redirectURL: '',
        headersSize: -1,
        bodySize: -1,
      },
    },
    {
      startedDateTime: iso(t0 + 300),
      time: 0,
      cache: {},
      timings: { send: 0, wait: 2, receive: 0 },
      _resourceType: 'websocket',
      request: {
        method: 'GET',
        url: 'wss://chat.example/socket',
        httpVersion: 'HTTP/1.1',
        headers: [
          { name: 'Upgrade', value: 'websocket' },
          { name: 'Connection', value: 'Upgrade' },
          { name: 'Sec-WebSocket-Key', value: 'dGhlIHNhbXBsZSBub25jZQ==' },
          { name: 'Sec-WebSocket-Version', value: '13' },
        ],
        queryString: [],
        cookies: [],
        headersSize: -1,
        bodySize: 0,
      },
      response: {
        status: 101,
        statusText: 'Switching Protocols',
        httpVersion: 'HTTP/1.1',
        headers: [
          { name: 'Upgrade', value: 'websocket' },
          { name: 'Connection', value: 'Upgrade' },
          { name: 'Sec-WebSocket-Accept', value: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' },
        ],
        cookies: [],
        content: { size: 0, mimeType: 'x-unknown' },
        redirectURL: '',
        headersSize: -1,
        bodySize: 0,
      },
      _webSocketMessages: [
        { type: 'send', time: (t0 + 310) / 1000, opcode: 1, data: 'hello' },
        { type: 'receive', time: (t0 + 350) / 1000, opcode: 1, data: '{"type":"token","index":0,"text":"Yes"}' },
        { type: 'receive', time: (t0 + 400) / 1000, opcode: 2, data: 'AQID' },
        { type: 'receive', time: (t0 + 450) / 1000, opcode: 1, data: 'x'.repeat(300) },
      ],
    },
  ];
  return { log: { version: '1.2', creator: { name: 'WebInspector', version: '537.36' }, entries: entries as unknown as Entry[] } };
}

/** A HAR shaped like Firefox's: no `_resourceType`, an event stream read by fetch, a WebSocket entry with no messages. */
function firefoxHar(): Har {
  const entries = [
    {
      startedDateTime: '2026-12-06T09:00:00.000+01:00',
      time: 520,
      cache: {},
      timings: { blocked: 0, dns: 2, connect: 5, ssl: 0, send: 0, wait: 100, receive: 400 },
      request: {
        method: 'GET',
        url: 'http://localhost:3000/stream',
        httpVersion: 'HTTP/1.1',
        headers: [
          { name: 'Host', value: 'localhost:3000' },
          { name: 'Accept', value: 'text/event-stream' },
        ],
        queryString: [],
        cookies: [],
        headersSize: 80,
        bodySize: 0,
      },
      response: {
        status: 200,
        statusText: 'OK',
        httpVersion: 'HTTP/1.1',
        headers: [
          { name: 'Content-Type', value: 'text/event-stream' },
          { name: 'Transfer-Encoding', value: 'chunked' },
        ],
        cookies: [],
        content: { mimeType: 'text/event-stream', size: 26, text: 'data: one\r\n\r\ndata: two\r\n\r\n' },
        redirectURL: '',
        headersSize: 90,
        bodySize: 40,
      },
    },
    {
      startedDateTime: '2026-12-06T09:00:01.000+01:00',
      time: 3,
      cache: {},
      timings: { blocked: 0, dns: 0, connect: 0, ssl: 0, send: 0, wait: 3, receive: 0 },
      request: {
        method: 'GET',
        url: 'ws://localhost:3000/ws',
        httpVersion: 'HTTP/1.1',
        headers: [{ name: 'Upgrade', value: 'websocket' }],
        queryString: [],
        cookies: [],
        headersSize: 60,
        bodySize: 0,
      },
      response: {
        status: 101,
        statusText: 'Switching Protocols',
        httpVersion: 'HTTP/1.1',
        headers: [{ name: 'Upgrade', value: 'websocket' }],
        cookies: [],
        content: { mimeType: '', size: 0 },
        redirectURL: '',
        headersSize: 60,
        bodySize: 0,
      },
    },
  ];
  return { log: { version: '1.2', creator: { name: 'Firefox', version: '133.0' }, entries: entries as unknown as Entry[] } };
}

describe('fromHar', () => {
  test("opens Streamscope's own export with its lanes, its events at their times, and the note", async () => {
    const har = JSON.parse(JSON.stringify(await toHar(recordedRun()))) as Har;
    expect(looksLikeHar(har)).toBe(true);
    const { run, ignored, summary } = fromHar(har, 'run.har');
    expect(run.lanes.map((l) => l.id)).toEqual(['sse', 'ws']);
    expect(ignored).toBe(1);
    expect(summary).toBe('Opened run.har: 2 streams as lanes; 1 other request ignored (not an event stream or a WebSocket).');
    const text = captured('sse', 0).text;
    for (const lane of run.lanes) {
      expect(lane.tokens.join('')).toBe(text);
      expect(lane.origin?.note).toContain(harNote);
      // The dissector reads the rebuilt bytes without errors, and finds the tokens in them.
      expect(lane.segments.filter((s) => s.kind === 'error' || s.kind === 'opaque')).toEqual([]);
      expect(lane.segments.filter((s) => s.token !== undefined && s.dir === 'down').length).toBeGreaterThanOrEqual(21);
    }
    // Each event arrives at its own time (the export wrote them), not all at once.
    const sse = run.lane('sse')!;
    expect(new Set(sse.wire.filter((e) => e.dir === 'down').map((e) => e.t)).size).toBeGreaterThan(10);
    expect(sse.origin?.title).toBe('EventSource from run.har');
    expect(run.lane('ws')!.origin?.title).toBe('WebSocket from run.har');
    expect(run.state).toBe('replay');
  });

  test('opens a Chrome-shaped HAR: EventSource, a fetch stream of OpenAI chunks and a WebSocket become lanes; the page is ignored', () => {
    const { run, ignored } = fromHar(chromeHar(), 'chrome.har');
    expect(ignored).toBe(1);
    expect(run.lanes.map((l) => [l.id, l.origin?.title])).toEqual([
      ['sse', 'EventSource from chrome.har'],
      ['ws', 'WebSocket from chrome.har'],
      ['openai', 'fetch stream from chrome.har'],
    ]);
    // The bytes: an HTTP/1.1 head rebuilt from the HAR's headers (pseudo-headers out, the
    // body's framing and coding out: the HAR has it decoded and whole), then the body.
    const up = wireText(run, 'sse', 'up');
    expect(up).toBe('GET /events?room=1 HTTP/1.1\r\nHost: chat.example\r\naccept: text/event-stream\r\n\r\n');
    expect(wireText(run, 'sse', 'down')).toBe(
      'HTTP/1.1 200 \r\ncontent-type: text/event-stream; charset=utf-8\r\n\r\ndata: Hello\n\ndata: , wire\n\n: ping\n\n',
    );
    const sse = run.lane('sse')!;
    expect(sse.tokens).toEqual(['Hello', ', wire']);
    // No per-event times in a browser's HAR: the head at the first byte, the body when the response ended.
    expect(sse.wire.map((e) => e.t - t0)).toEqual([100, 141, 341]);
    expect(sse.app.map((e) => [e.kind, e.t - t0])).toEqual([
      ['request', 100],
      ['open', 141],
      ['token', 341],
      ['token', 341],
      ['done', 341],
    ]);
    expect(sse.origin?.note).toContain('the whole body arrives at the time the response ended');
    expect(sse.exchanges()[0]!.exchanges[0]!.response?.status).toBe(200);

    const openai = run.lane('openai')!;
    expect(openai.tokens).toEqual(['Hi', ' there']);
    expect(wireText(run, 'openai', 'up')).toMatch(
      /^POST \/v1\/chat\/completions HTTP\/1.1\r\nHost: api.example\r\ncontent-type: application\/json\r\nContent-Length: 12\r\n\r\n\{"stream":1\}$/,
    );

    // WebSocket messages keep their own times; the frames are rebuilt from them.
    const ws = run.lane('ws')!;
    expect(ws.tokens).toEqual(['Yes', 'x'.repeat(300)]);
    expect(ws.app.filter((e) => e.kind === 'sent').map((e) => [e.text, Math.round(e.t - t0)])).toEqual([['hello', 310]]);
    const frames = ws.segments.filter((s) => s.kind === 'ws-payload');
    expect(frames.map((s) => [s.dir, s.text ?? '(binary)', Math.round(s.t - t0)])).toEqual([
      ['up', 'hello', 310],
      ['down', '{"type":"token","index":0,"text":"Yes"}', 350],
      ['down', '(binary)', 400],
      ['down', 'x'.repeat(300), 450],
    ]);
    expect(ws.segments.filter((s) => s.kind === 'error')).toEqual([]);
    expect(ws.origin?.how).toBe('GET wss://chat.example/socket · 4 WebSocket messages');
  });

  test('writes a HAR it opened back out as a HAR that validates, the same streams in it', async () => {
    const { run } = fromHar(chromeHar(), 'chrome.har');
    const har = await toHar(run);
    expect(await new HarValidator().verify(har as never)).toEqual([]);
    expect(har.log.entries.map((e) => [e.request.method, e.request.url, e._resourceType])).toEqual([
      ['GET', 'https://chat.example/events?room=1', 'eventsource'],
      ['POST', 'https://api.example/v1/chat/completions', 'fetch'],
      ['GET', 'wss://chat.example/socket', 'websocket'],
    ]);
    const ws = har.log.entries[2]!._webSocketMessages!;
    expect(ws.map((m) => [m.type, m.opcode, m.data.length])).toEqual([
      ['send', 1, 5],
      ['receive', 1, 39],
      ['receive', 2, 4],
      ['receive', 1, 300],
    ]);
  });

  test('opens a Firefox-shaped HAR: a stream with no resource type, CRLF lines, and a WebSocket whose messages it did not keep', () => {
    const { run, ignored } = fromHar(firefoxHar(), 'firefox.har');
    expect(ignored).toBe(0);
    expect(run.lanes.map((l) => l.id)).toEqual(['sse', 'ws']);
    expect(run.lane('sse')!.tokens).toEqual(['one', 'two']);
    expect(wireText(run, 'sse', 'down')).not.toContain('Transfer-Encoding');
    const start = Date.parse('2026-12-06T08:00:00.000Z');
    expect(run.startedAt).toBe(start);
    // Blocked, DNS, connect and send before the first byte, then the wait.
    expect(run.lane('sse')!.app.find((e) => e.kind === 'open')!.t - start).toBe(107);
    expect(run.lane('sse')!.wire[0]!.t - start).toBe(7);
    expect(run.lane('ws')!.tokens).toEqual([]);
    expect(run.lane('ws')!.origin?.how).toBe('GET ws://localhost:3000/ws · 0 WebSocket messages');
  });

  test('puts an EventSource that reconnected in one lane, one connection per request', () => {
    const har = chromeHar();
    const again = structuredClone(har.log.entries[1]!);
    again.startedDateTime = iso(t0 + 1000);
    har.log.entries.push(again);
    const { run } = fromHar(har);
    const sse = run.lane('sse')!;
    expect([...sse.conns.keys()]).toHaveLength(2);
    expect(sse.tokens).toEqual(['Hello', ', wire', 'Hello', ', wire']);
    expect(sse.origin?.how).toContain('(2 requests)');
  });

  test('says so when the HAR has no body for a stream (Chromium keeps none for an EventSource the page closed mid-response)', () => {
    const har = chromeHar();
    const es = har.log.entries[1]!;
    es.response.content = { size: -1, mimeType: 'text/event-stream' };
    (es as unknown as Record<string, unknown>)['_failureText'] = 'net::ERR_ABORTED';
    const { run } = fromHar(har, 'aborted.har');
    const sse = run.lane('sse')!;
    expect(sse.tokens).toEqual([]);
    expect(sse.origin?.note).toContain('The HAR has no body for this response: a browser keeps none for a stream the page closed before it ended.');
    expect(sse.origin?.how).toContain('· 0 events');
    expect(wireText(run, 'sse', 'down')).toMatch(/^HTTP\/1.1 200 \r\n/);
  });

  test("keeps its lanes' titles and notes through a Streamscope recording", () => {
    const { run } = fromHar(chromeHar(), 'chrome.har');
    const again = fromRecording(JSON.parse(JSON.stringify(toRecording(run))));
    expect(again.lanes.map((l) => [l.id, l.origin])).toEqual(run.lanes.map((l) => [l.id, l.origin]));
    expect(again.lane('openai')!.tokens).toEqual(['Hi', ' there']);
  });

  test('leaves out streams beyond the lanes it has for them, and says how many', () => {
    const har = chromeHar();
    const ws = har.log.entries[3]!;
    for (let i = 0; i < 5; i++) har.log.entries.push({ ...structuredClone(ws), request: { ...ws.request, url: `wss://chat.example/socket${i}` } });
    const { run, dropped, summary } = fromHar(har, 'many.har');
    expect(run.lanes.filter((l) => l.origin?.title.startsWith('WebSocket'))).toHaveLength(4);
    expect(dropped).toBe(2);
    expect(summary).toContain('2 more streams left out');
  });

  test('says clearly what is wrong with a file that is not a usable HAR', () => {
    expect(() => fromHar({ format: 'streamscope-recording' })).toThrow('This file is not a HAR (it has no "log").');
    expect(() => fromHar({ log: {} })).toThrow('This HAR has no "log.entries" list.');
    expect(() => fromHar({ log: { entries: [{ request: {} }] } })).toThrow('Entry 1 of the HAR has no request URL, response or startedDateTime.');
    const bad = chromeHar();
    bad.log.entries[1]!.startedDateTime = 'yesterday';
    expect(() => fromHar(bad)).toThrow('Entry 2 of the HAR has a startedDateTime that is not a date: "yesterday".');
    const pageOnly = chromeHar();
    pageOnly.log.entries = pageOnly.log.entries.slice(0, 1);
    expect(() => fromHar(pageOnly, 'page.har')).toThrow(
      'page.har has no event stream (text/event-stream) and no WebSocket among its 1 entry, so there is nothing to show.',
    );
  });
});
