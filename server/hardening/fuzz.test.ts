/**
 * Malformed traffic, over real sockets: random and broken requests (percent-encodings that
 * decode to nothing, lone surrogates, heads too large or sent byte by byte and abandoned,
 * bodies that are not JSON or are huge, WebSocket messages that are not JSON, binary or too
 * large, ping floods). Each gets a clear error (problem+json with a `detail`, or a WebSocket
 * close code with an error message) or a proper answer, nothing crashes, and the server serves
 * the next well-formed request. The server runs in classroom mode with two tap readers (one
 * masked), so the tap's parsing of every broken head is fuzzed too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';
import { listen, type Listening } from '../testing/listen.ts';
import { Presenter } from '../classroom/presenter.ts';
import { maxHeaderSize } from '../app.ts';
import { exchange, notAProblem, type Answer } from './exchange.ts';
import { until } from '../testing/until.ts';

const presenter = new Presenter('fuzz-presenter');
let server: Listening;
/** Anything thrown where nobody catches it, in the server or the test. */
const crashes: unknown[] = [];
const crashed = (error: unknown): void => void crashes.push(error);
const taps: http.ClientRequest[] = [];

beforeAll(async () => {
  process.on('uncaughtException', crashed);
  process.on('unhandledRejection', crashed);
  server = await listen({ classroom: true, presenter, maxStreamsPerClient: 10_000, heartbeatMs: 60_000 });
  for (const headers of [{}, { authorization: `Bearer ${presenter.token}` }]) {
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: server.port, path: '/api/tap', headers, agent: false }, (res) => {
        res.resume();
        res.on('error', () => {});
        resolve();
      });
      req.on('error', () => {});
      taps.push(req);
    });
  }
});
afterEach(async () => {
  expect(crashes).toEqual([]);
  await expectServing();
});
afterAll(async () => {
  for (const tap of taps) tap.destroy();
  await server.close();
  process.off('uncaughtException', crashed);
  process.off('unhandledRejection', crashed);
});

/** A WebSocket handshake, as a browser would send it (less the headers nothing here checks). */
const upgradeHead = `GET /api/stream/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

const postHead = (body: string): string =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

const get = (target: string, headers = ''): string => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`;

/** The next well-formed request gets its answer. */
async function expectServing(): Promise<void> {
  const answer = await exchange(server.port, get('/api/stream/http?text=still%20here&tps=1000&ttft=0'));
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toMatchObject({ text: 'still here' });
}

/** A proper answer (a 2xx, or a stream's head) or a clear error; never a 5xx or silence. */
function expectAnswered(answer: Answer, what: string): void {
  if (answer.status >= 200 && answer.status < 300) return;
  expect(notAProblem(answer), `${what} → ${answer.status} ${answer.body.slice(0, 300)}`).toBeNull();
}

async function connections(): Promise<number> {
  return new Promise((resolve, reject) => server.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Percent-encodings that decode to nothing valid, and characters query parsers trip on. */
const brokenPieces = [
  '%',
  '%z',
  '%zz',
  '%E0%A4%A',
  '%ED%A0%80',
  '%ED%B0%80',
  '%F0%9F',
  '%C3%28',
  '%C0%AF',
  '%FF',
  '%00',
  '%0A',
  '%0D%0A',
  '%25',
  '%2B',
  '+',
  '%26',
  '%3D',
  '[]',
  '%5B0%5D',
  '__proto__',
  'constructor',
  '..',
  '%2e%2e%2f',
];
const piece = fc.oneof(
  fc.constantFrom(...brokenPieces),
  fc.stringMatching(/^[A-Za-z0-9._~-]{0,10}$/),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map(encodeURIComponent),
  fc.integer().map(String),
  fc.double().map(String),
);
const word = fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(''));
const paramName = fc.oneof(fc.constantFrom('prompt', 'text', 'tps', 'ttft', 'jitter', 'seed', 'run', 'TPS', 'speed', ''), word);
const query = fc
  .array(fc.tuple(paramName, fc.option(word, { nil: undefined })), { maxLength: 6 })
  .map((pairs) => pairs.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join('&'));

/** Strings with what JSON and UTF-8 code get wrong: lone surrogates, NUL, CR, astral characters. */
const awkwardText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('\ud800', 'a\udc00b', '\udbff\udfff', '\u0000', '\r\n\r\n', 'data: x\n\n', '😀'.repeat(3), ''),
);

// ---------------------------------------------------------------------------------------------

// Generous timeouts: these take about a second each, but the machine is shared.
const slowMachine = { timeout: 60_000 };

describe('HTTP requests', slowMachine, () => {
  it('bad query strings and percent-encodings on the stream endpoints get a stream or a problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/stream/sse', '/api/tap', '/v1/models', '/api/prompts'), query, async (path, q) => {
        const target = `${path}?${q}`;
        expectAnswered(await exchange(server.port, get(target)), target);
      }),
      { numRuns: 300 },
    );
  });

  it('bad paths under /api and /v1 get problem+json', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/', '/v1/', '/api/stream/', '/api/labs/'),
        word,
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        async (prefix, rest, method) => {
          const target = `${prefix}${rest}`;
          const answer = await exchange(server.port, `${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
          // OPTIONS and HEAD may be answered by Express itself; anything else must be a problem.
          if (method === 'OPTIONS' && answer.status === 200) return;
          expect(notAProblem(answer), `${method} ${target} → ${answer.status} ${answer.body}`).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('bytes that are not HTTP at all get 400 problem+json', async () => {
    // Only CRs and LFs are empty lines, which HTTP/1.1 skips before a request: the server rightly
    // waits for one (and closes when the client does).
    const notOnlyEmptyLines = (bytes: Uint8Array): boolean => bytes.some((b) => b !== 0x0d && b !== 0x0a);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }).filter(notOnlyEmptyLines), async (bytes) => {
        const answer = await exchange(server.port, [Buffer.from(bytes), '\r\n\r\n'], { end: true });
        expect(notAProblem(answer), Buffer.from(bytes).toString('hex')).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['a request line over the limit', (n: number) => get(`/api/stream/sse?text=${'x'.repeat(n)}`)],
    ['one header over the limit', (n: number) => get('/api/stream/sse', `X-Big: ${'y'.repeat(n)}\r\n`)],
    ['many headers over the limit', (n: number) => get('/api/stream/sse', `X-Many: ${'z'.repeat(1000)}\r\n`.repeat(Math.ceil(n / 1000)))],
  ])('%s gets 431 problem+json naming the limit', async (_name, request) => {
    for (const size of [maxHeaderSize + 1, 2 * maxHeaderSize]) {
      const answer = await exchange(server.port, request(size));
      expect(notAProblem(answer)).toBeNull();
      expect(answer.status).toBe(431);
      expect(answer.body).toContain('KiB');
    }
  });
});

describe('POST /v1/chat/completions bodies', slowMachine, () => {
  const post = (body: string | Buffer, headers = 'Content-Type: application/json\r\n'): Buffer =>
    Buffer.concat([
      Buffer.from(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`),
      Buffer.from(body),
    ]);

  it('bodies that are not JSON, or JSON of the wrong shape, get problem+json', async () => {
    const junk = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
      fc.constantFrom(
        '{',
        '{"model":',
        '[]',
        'null',
        '"echo"',
        '{"model":"echo","messages":[{"role":"user","content":"hi"}]',
        '\ufeff{}',
        '{"__proto__":{"x":1}}',
      ),
    );
    await fc.assert(
      fc.asyncProperty(junk, async (body) => {
        expect(notAProblem(await exchange(server.port, post(body))), String(body).slice(0, 200)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it('requests that are almost right get a stream or a problem', async () => {
    const settingValue = fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.boolean());
    const message = fc.record(
      {
        role: fc.oneof(fc.constantFrom('user', 'system', 'assistant'), fc.string({ maxLength: 5 })),
        content: fc.oneof(awkwardText, fc.jsonValue({ maxDepth: 2 })),
      },
      { requiredKeys: [] },
    );
    const request = fc.record(
      {
        model: fc.oneof(fc.constantFrom('echo', 'streamscope'), fc.string({ maxLength: 10 })),
        messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
        stream: fc.constant(true),
        tps: settingValue,
        ttft: settingValue,
        seed: settingValue,
        prompt: fc.oneof(fc.constantFrom('what-is-sse', 'nope'), fc.string({ maxLength: 5 })),
        temperature: settingValue,
        surprise: settingValue,
      },
      { requiredKeys: ['stream'] },
    );
    await fc.assert(
      fc.asyncProperty(request, async (body) => {
        const json = JSON.stringify(body);
        expectAnswered(await exchange(server.port, post(json)), json);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['1 MB of JSON and a byte', 413, () => post(`{"model":"echo","messages":[{"role":"user","content":"${'x'.repeat(1024 * 1024)}"}]}`)],
    ['8 MB of JSON', 413, () => post(`{"x":"${'x'.repeat(8 * 1024 * 1024)}"}`)],
    ['a chunked body over 1 MB', 413, () => chunked(3 * 1024 * 1024)],
    ['JSON in a charset body-parser cannot read', 415, () => post('{}', 'Content-Type: application/json; charset=klingon\r\n')],
    ['a gzip body that is not gzip', 400, () => post('{}', 'Content-Type: application/json\r\nContent-Encoding: gzip\r\n')],
  ] as const)('%s gets %i problem+json', async (_name, status, request) => {
    const answer = await exchange(server.port, request());
    expect(notAProblem(answer), answer.body).toBeNull();
    expect(answer.status).toBe(status);
  });

  function chunked(total: number): Buffer[] {
    const piece = Buffer.alloc(64 * 1024, 'a');
    const chunks = [
      Buffer.from('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'),
    ];
    for (let sent = 0; sent < total; sent += piece.length) chunks.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
    chunks.push(Buffer.from('0\r\n\r\n'));
    return chunks;
  }

  it('a body that never arrives (Content-Length larger than what is sent), abandoned, leaves no connection', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"model":');
    await until(async () => (await connections()) === 1 + taps.length, 'the server to hold the connection');
    socket.destroy();
    await until(async () => (await connections()) === taps.length, 'the connection to go');
  });
});

describe('slow partial heads', slowMachine, () => {
  const heads = [
    get('/api/stream/sse?text=slow%20head&tps=1000&ttft=0', 'Cookie: streamscope_session=abc\r\nAuthorization: Bearer def\r\n'),
    postHead('{"model":"echo","stream":true,"messages":[{"role":"user","content":"slow body"}],"tps":1000,"ttft":0}'),
    upgradeHead,
  ];

  /** Sends `bytes` one at a time, each in its own write and turn of the event loop. */
  async function dribble(socket: net.Socket, bytes: string): Promise<void> {
    for (const byte of bytes) {
      if (socket.destroyed) return;
      socket.write(byte);
      await new Promise((r) => setImmediate(r));
    }
  }

  it('a head sent byte by byte, then abandoned at any point, leaves no connection and no stream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...heads), fc.nat(), async (head, at) => {
        const cut = at % head.length;
        const socket = net.connect({ host: '127.0.0.1', port: server.port, noDelay: true });
        socket.on('error', () => {});
        await new Promise((resolve) => socket.once('connect', resolve));
        await dribble(socket, head.slice(0, cut));
        socket.destroy();
        await until(async () => (await connections()) === taps.length && server.limiter.open === 0, `the connection cut at byte ${cut} to go`);
      }),
      { numRuns: 40 },
    );
  });

  it('a whole head sent byte by byte is answered as if it came at once', async () => {
    for (const head of heads.slice(0, 2)) {
      const socket = net.connect({ host: '127.0.0.1', port: server.port, noDelay: true });
      let answer = '';
      socket.setEncoding('latin1');
      socket.on('data', (text: string) => (answer += text));
      const ended = new Promise((resolve) => socket.on('close', resolve));
      await new Promise((resolve) => socket.once('connect', resolve));
      await dribble(socket, head);
      await ended;
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(answer).toMatch(/event: done|\[DONE\]/);
    }
  });
});

describe('WebSocket messages', slowMachine, () => {
  const url = (): string => `ws://127.0.0.1:${server.port}/api/stream/ws`;

  interface Session {
    code: number;
    messages: { type: string; code?: number; detail?: string }[];
  }

  /** Opens a WebSocket, lets `act` send what it likes, and resolves with the close code and what came back. A stream that starts is stopped at its first token. */
  function session(act: (ws: WebSocket) => void): Promise<Session> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url());
      const messages: Session['messages'] = [];
      ws.on('open', () => act(ws));
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as Session['messages'][number];
        messages.push(message);
        if (message.type === 'token' && messages.length === 1) ws.send('{"type":"stop"}');
      });
      ws.on('error', () => {});
      ws.on('close', (code) => resolve({ code, messages }));
    });
  }

  /** A close for a bad message comes with an error message naming the problem. */
  function expectClear(result: Session, what: string): void {
    if (result.code === 1000) return;
    expect([1003, 1007, 1008], what).toContain(result.code);
    const last = result.messages.at(-1);
    expect(last, what).toMatchObject({ type: 'error', code: result.code });
    expect(last!.detail!.length, what).toBeGreaterThan(10);
  }

  it('text messages that are not JSON, or not a start, get an error and close 1007 or 1008', async () => {
    const message = fc.oneof(
      awkwardText,
      fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
      fc
        .record(
          {
            type: fc.oneof(fc.constantFrom('start', 'stop', 'START'), fc.string({ maxLength: 5 })),
            text: awkwardText,
            tps: fc.oneof(fc.double(), fc.string({ maxLength: 4 })),
            prompt: fc.string({ maxLength: 5 }),
          },
          { requiredKeys: ['type'] },
        )
        .map((m) => JSON.stringify(m)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 3 }), async (sent) => {
        expectClear(await session((ws) => sent.forEach((m) => ws.send(m))), JSON.stringify(sent));
      }),
      { numRuns: 150 },
    );
  });

  it('a binary frame gets an error and close 1003', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 100 }), async (bytes) => {
        const result = await session((ws) => ws.send(Buffer.from(bytes), { binary: true }));
        expect(result.code).toBe(1003);
        expectClear(result, 'binary');
      }),
      { numRuns: 30 },
    );
  });

  it('a message over the size limit closes the connection (1009, message too big)', async () => {
    for (const size of [256 * 1024 + 1, 4 * 1024 * 1024]) {
      const result = await session((ws) => ws.send(`{"type":"start","text":"${'x'.repeat(size)}"}`));
      expect(result.code).toBe(1009);
    }
  });

  /** Sends `count` pings at once, then a start; resolves with the pongs, the close code and the tokens. */
  function pingThenStart(count: number): Promise<{ pongs: number; code: number; tokens: number }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url());
      let pongs = 0;
      let tokens = 0;
      ws.on('open', () => {
        for (let i = 0; i < count; i++) ws.ping(Buffer.alloc(125, i % 256));
        ws.send(JSON.stringify({ type: 'start', text: 'after the pings', tps: 1000, ttft: 0 }));
      });
      ws.on('pong', () => pongs++);
      ws.on('message', (data) => (JSON.parse(String(data)) as { type: string }).type === 'token' && tokens++);
      ws.on('error', () => {});
      ws.on('close', (code) => resolve({ pongs, code, tokens }));
    });
  }

  it('a burst of pings is answered, and the reply still streams', async () => {
    const result = await pingThenStart(50);
    expect(result).toMatchObject({ pongs: 50, code: 1000 });
    expect(result.tokens).toBeGreaterThan(0);
  });

  it('a ping flood is cut off (ws drops a peer with over 60 pongs unsent), and frees its stream', async () => {
    // The cut is ws's defence (maxPendingAutoPongs): a terminate, so the client sees 1006.
    const result = await pingThenStart(5000);
    expect(result.code).toBe(1006);
    expect(result.pongs).toBeLessThan(5000);
    await until(() => server.limiter.open === 0, 'the flooder to leave nothing open');
  });

  it('random bytes after the handshake (not frames, unmasked, bad opcodes) close the connection, nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (bytes) => {
        const socket = net.connect({ host: '127.0.0.1', port: server.port });
        socket.on('error', () => {});
        const closed = new Promise((resolve) => socket.on('close', resolve));
        let handshake = '';
        socket.on('data', (chunk: Buffer) => {
          if (handshake.includes('\r\n\r\n')) return;
          handshake += chunk.toString('latin1');
          // Upgraded: now the garbage, then our end of the stream so an incomplete frame cannot wait forever.
          if (handshake.includes('\r\n\r\n')) socket.end(Buffer.from(bytes));
        });
        socket.write(upgradeHead);
        await closed;
        expect(handshake).toMatch(/^HTTP\/1\.1 101/);
      }),
      { numRuns: 60 },
    );
    await until(async () => (await connections()) === taps.length && server.limiter.open === 0, 'every WebSocket to be gone');
  });
});
