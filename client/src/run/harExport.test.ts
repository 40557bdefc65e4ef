import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import harValidator from '@har-sdk/validator';
import type { Har } from 'har-format';
import { Run } from './Run.svelte.ts';
import { defaultSettings } from './settings.ts';
import { captured, pageEvents } from './capturedLane.ts';
import { eventStreamEvents, masked, toHar, type HarEntry } from './harExport.ts';
import type { LaneId } from './lanes.ts';

// A maintained HAR 1.2 JSON-schema validator (ajv 8); CommonJS, so its classes come off the default export.
const { HarValidator } = harValidator;
const validate = (har: Har) => new HarValidator().verify(har as never);

const t0 = 1_700_000_000_000;
const enc = new TextEncoder();

/** A run of the captured connections (real server bytes), one lane each, as the page records one. */
function recordedRun(
  lanes: [LaneId, 'sse' | 'ws' | 'http' | 'openai'][] = [
    ['sse', 'sse'],
    ['ws', 'ws'],
    ['http', 'http'],
    ['openai', 'openai'],
  ],
): Run {
  const run = new Run(
    'r42',
    { ...defaultSettings },
    lanes.map(([id]) => id),
    t0,
  );
  for (const [i, [id, fixture]] of lanes.entries()) {
    const lane = run.lane(id)!;
    const conn = i + 1;
    const path = fixture === 'openai' ? '/v1/chat/completions' : `/api/stream/${fixture}`;
    lane.addConn({ conn, method: 'GET', path, remoteAddress: '::ffff:127.0.0.1', remotePort: 50_000 + i, localPort: 8080, opened: t0 + 100 });
    for (const e of captured(fixture, t0 + 100, conn).wire) lane.addWire(e);
    for (const e of pageEvents(['Hello', ','], t0)) lane.addApp(e);
    lane.closeConn(conn, t0 + 900);
  }
  run.offset = 50;
  run.state = 'ended';
  return run;
}

/** A lane whose one exchange is these bytes: the request at `t0 + 10`, the response's pieces 10 ms apart after it. */
function handMadeRun(request: string, response: (string | Uint8Array)[], id: LaneId = 'openai'): Run {
  const run = new Run('hand', { ...defaultSettings }, [id], t0);
  const lane = run.lane(id)!;
  lane.addConn({ conn: 1, method: 'POST', path: '/v1/chat/completions', remoteAddress: '127.0.0.1', remotePort: 1, localPort: 2, opened: t0 });
  lane.addWire({ t: t0 + 10, conn: 1, dir: 'up', bytes: enc.encode(request) });
  response.forEach((piece, i) => lane.addWire({ t: t0 + 20 + 10 * i, conn: 1, dir: 'down', bytes: typeof piece === 'string' ? enc.encode(piece) : piece }));
  return run;
}

const entryOf = (har: Har, lane: string) => har.log.entries.find((e) => (e as HarEntry)._lane === lane) as HarEntry;

describe('toHar', () => {
  test('writes a HAR 1.2 log that a HAR schema validator accepts, one entry per request', async () => {
    const har = await toHar(recordedRun());
    expect(await validate(har)).toEqual([]);
    // Through JSON, as the file is written.
    expect(await validate(JSON.parse(JSON.stringify(har)) as Har)).toEqual([]);
    expect(har.log.version).toBe('1.2');
    expect(har.log.creator.name).toBe('Streamscope');
    expect(har.log.entries.map((e) => [(e as HarEntry)._lane, e.request.method, e.response.status, e._resourceType])).toEqual([
      ['sse', 'GET', 200, 'eventsource'],
      ['ws', 'GET', 101, 'websocket'],
      ['http', 'GET', 200, 'fetch'],
      ['openai', 'POST', 200, 'fetch'],
    ]);
    const sse = entryOf(har, 'sse');
    expect(sse.request.url).toMatch(/^http:\/\/127\.0\.0\.1:34229\/api\/stream\/sse\?text=/);
    expect(sse.request.queryString.find((q) => q.name === 'seed')).toEqual({ name: 'seed', value: '1' });
    expect(sse.serverIPAddress).toBe('127.0.0.1');
    expect(entryOf(har, 'ws').request.url).toBe('ws://127.0.0.1:34229/api/stream/ws?run=fixture');
  });

  test('keeps the request body of a POST, and the response body as the page got it (chunked framing taken off)', async () => {
    const har = await toHar(recordedRun());
    const openai = entryOf(har, 'openai');
    expect(openai.request.postData?.mimeType).toBe('application/json');
    expect(JSON.parse(openai.request.postData!.text!)).toMatchObject({ model: 'echo', stream: true });
    expect(openai.request.bodySize).toBe(188);
    const sse = entryOf(har, 'sse');
    expect(sse.response.content.mimeType).toBe('text/event-stream');
    expect(sse.response.content.text).toMatch(/^retry: 1000\n\nid: 0\nevent: token\ndata: \{"index":0,"text":"Hello"\}\n\n/);
    expect(sse.response.content.text).not.toMatch(/\r\n/);
    expect(sse.response.content.size).toBe(enc.encode(sse.response.content.text).length);
    // On the wire the body was bigger: chunk sizes and their CRLFs.
    expect(sse.response.bodySize).toBeGreaterThan(sse.response.content.size);
    expect(JSON.parse(entryOf(har, 'http').response.content.text!)).toMatchObject({ text: expect.stringContaining('Hello, wire!') });
  });

  test('times each entry from the tap: start on the tab clock, send, wait = time to first byte, receive', async () => {
    const run = recordedRun();
    const har = await toHar(run);
    for (const lane of run.lanes) {
      const entry = entryOf(har, lane.id);
      const up = lane.wire.filter((e) => e.dir === 'up');
      const down = lane.wire.filter((e) => e.dir === 'down');
      expect(Date.parse(entry.startedDateTime)).toBe(Math.floor(up[0]!.t - run.offset));
      expect(entry.timings).toMatchObject({ blocked: -1, dns: -1, connect: -1, ssl: -1 });
      if (lane.id === 'ws') continue;
      expect(entry.timings.wait).toBeCloseTo(down[0]!.t - up.at(-1)!.t, 2);
      expect(entry.timings.receive).toBeCloseTo(down.at(-1)!.t - down[0]!.t, 2);
      expect(entry.time).toBeCloseTo(entry.timings.send! + entry.timings.wait + entry.timings.receive, 2);
    }
  });

  test('writes WebSocket messages as Chrome does: type, time in seconds since the epoch, opcode, data', async () => {
    const run = recordedRun();
    const entry = entryOf(await toHar(run), 'ws');
    const messages = entry._webSocketMessages!;
    for (const m of messages) {
      expect(Object.keys(m).sort()).toEqual(['data', 'opcode', 'time', 'type']);
      expect(['send', 'receive']).toContain(m.type);
      expect(m.time).toBeGreaterThan(t0 / 1000);
      expect(m.time).toBeLessThan(t0 / 1000 + 2);
    }
    expect(messages[0]).toMatchObject({ type: 'send', opcode: 1 });
    // The client's frame is masked on the wire; the HAR has its text.
    expect(JSON.parse(messages[0]!.data)).toMatchObject({ type: 'start' });
    const received = messages.filter((m) => m.type === 'receive');
    expect(received[0]).toMatchObject({ opcode: 1, data: '{"type":"token","index":0,"text":"Hello"}' });
    expect(
      received
        .map((m) => JSON.parse(m.data) as { text?: string })
        .map((m) => m.text ?? '')
        .join(''),
    ).toBe(captured('ws', 0).text);
    // In the order they arrived, on the tab's clock (server time minus the offset).
    expect(messages.map((m) => m.time)).toEqual([...messages.map((m) => m.time)].sort((a, b) => a - b));
    const firstDown = run.lane('ws')!.wire.filter((e) => e.dir === 'down')[1]!;
    expect(received[0]!.time * 1000).toBeCloseTo(firstDown.t - run.offset, 1);
    expect(entry.response.content.size).toBe(0);
  });

  test('lists the SSE events of a response in _eventStreamEvents with the time each arrived', async () => {
    const run = recordedRun();
    const entry = entryOf(await toHar(run), 'sse');
    const events = entry._eventStreamEvents!;
    expect(events).toHaveLength(22);
    expect(events[0]).toEqual({ time: expect.any(Number), id: '0', event: 'token', data: '{"index":0,"text":"Hello"}' });
    expect(events.at(-1)).toMatchObject({ id: '20', event: 'done' });
    const start = Date.parse(entry.startedDateTime) / 1000;
    for (const e of events) {
      expect(e.time).toBeGreaterThanOrEqual(start);
      expect(e.time).toBeLessThanOrEqual(start + entry.time / 1000 + 0.001);
    }
    expect(events.map((e) => e.time)).toEqual([...events.map((e) => e.time)].sort((a, b) => a - b));
    // OpenAI's stream too, `[DONE]` included (it is an event with data).
    const openai = entryOf(await toHar(run), 'openai');
    expect(openai._eventStreamEvents!.at(-1)).toMatchObject({ event: 'message', data: '[DONE]' });
  });

  describe('secrets', () => {
    const request =
      'POST /v1/chat/completions HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer sk-secret-1\r\nx-api-key: key-secret-2\r\nCookie: session=cookie-secret-3; theme=dark\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
    const response = ['HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nSet-Cookie: id=cookie-secret-4; HttpOnly\r\n\r\n', 'data: hi\n\n'];

    test('are masked by default: header values and cookies', async () => {
      const har = await toHar(handMadeRun(request, response));
      expect(await validate(har)).toEqual([]);
      const text = JSON.stringify(har);
      for (const secret of ['sk-secret-1', 'key-secret-2', 'cookie-secret-3', 'cookie-secret-4', 'dark']) expect(text).not.toContain(secret);
      const entry = har.log.entries[0]!;
      const value = (headers: { name: string; value: string }[], name: string) => headers.find((h) => h.name.toLowerCase() === name)?.value;
      expect(value(entry.request.headers, 'authorization')).toBe(masked);
      expect(value(entry.request.headers, 'x-api-key')).toBe(masked);
      expect(value(entry.request.headers, 'cookie')).toBe(masked);
      expect(value(entry.response.headers, 'set-cookie')).toBe(masked);
      expect(value(entry.request.headers, 'content-type')).toBe('application/json');
      expect(entry.request.cookies).toEqual([
        { name: 'session', value: masked },
        { name: 'theme', value: masked },
      ]);
      expect(entry.response.cookies).toEqual([{ name: 'id', value: masked }]);
      expect(har.log.comment).toMatch(/masked/);
    });

    test('are kept when asked for', async () => {
      const har = await toHar(handMadeRun(request, response), { includeSecrets: true });
      const entry = har.log.entries[0]!;
      expect(entry.request.headers.find((h) => h.name === 'Authorization')?.value).toBe('Bearer sk-secret-1');
      expect(entry.request.headers.find((h) => h.name === 'x-api-key')?.value).toBe('key-secret-2');
      expect(entry.request.cookies).toEqual([
        { name: 'session', value: 'cookie-secret-3' },
        { name: 'theme', value: 'dark' },
      ]);
      expect(entry.response.cookies).toEqual([{ name: 'id', value: 'cookie-secret-4' }]);
    });
  });

  test('decodes a gzip-coded event stream, as the page got it', async () => {
    const body = 'data: {"index":0,"text":"Hi"}\n\ndata: {"index":1,"text":" there"}\n\n';
    const gz = gzipSync(body);
    const run = handMadeRun('GET /api/labs/faults/gzip/sse HTTP/1.1\r\nHost: h\r\n\r\n', [
      `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`,
      gz,
    ]);
    const har = await toHar(run);
    expect(await validate(har)).toEqual([]);
    const entry = har.log.entries[0] as HarEntry;
    expect(entry.response.content.text).toBe(body);
    expect(entry.response.content.compression).toBe(body.length - gz.length);
    expect(entry._eventStreamEvents!.map((e) => e.data)).toEqual(['{"index":0,"text":"Hi"}', '{"index":1,"text":" there"}']);
  });

  test('writes a request still waiting for its response as one with status 0, and the log still validates', async () => {
    const run = handMadeRun('GET /api/stream/sse HTTP/1.1\r\nHost: h\r\n\r\n', [], 'sse');
    const har = await toHar(run);
    expect(await validate(har)).toEqual([]);
    expect(har.log.entries[0]!.response).toMatchObject({ status: 0, headersSize: -1 });
  });
});

describe('eventStreamEvents', () => {
  test('reads events as EventSource would: line endings, comments, multi-line data, a kept id, a BOM', () => {
    const body = '\uFEFF: hello\r\nid: 7\r\nevent: a\r\ndata: one\r\ndata: two\r\n\r\ndata:three\r\r: c\nretry: 5\n\nid: 8\ndata\n\n';
    expect(eventStreamEvents([{ bytes: enc.encode(body), t: 1 }]).map(({ id, event, data }) => ({ id, event, data }))).toEqual([
      { id: '7', event: 'a', data: 'one\ntwo' },
      { id: '7', event: 'message', data: 'three' },
      { id: '8', event: 'message', data: '' },
    ]);
  });

  test('times each event by the piece its dispatching blank line came in, across split lines and characters', () => {
    const bytes = enc.encode('data: 日本\n\ndata: b\r\n\r\n');
    // A cut in the middle of 日 and one between CR and LF.
    const pieces = [
      { bytes: bytes.subarray(0, 7), t: 1 },
      { bytes: bytes.subarray(7, 14), t: 2 },
      { bytes: bytes.subarray(14, 23), t: 3 },
      { bytes: bytes.subarray(23), t: 4 },
    ];
    expect(eventStreamEvents(pieces).map(({ t, data }) => [t, data])).toEqual([
      [2, '日本'],
      [4, 'b'],
    ]);
  });
});
