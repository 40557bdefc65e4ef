/**
 * `/api/stream/ws` over real sockets, with the `ws` package as the client: the happy path, every
 * way a client can misbehave (each with its exact close code and error message), Origin checks,
 * and that nothing leaks afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { listen, type Listening } from '../testing/listen.ts';
import { until } from '../testing/until.ts';
import { replyFor, summarize } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen();
});
afterAll(() => server.close());

type Message =
  | { type: 'token'; index: number; text: string }
  | { type: 'done'; tokens: number; characters: number; plannedMs: number }
  | { type: 'error'; code: number; detail: string };

interface Session {
  ws: WebSocket;
  messages: Message[];
  /** Resolves with the close code and reason once the connection has closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** Client-side errors (e.g. a reset after the server gave up). */
  errors: Error[];
  /** Binary messages received (the server sends none). */
  binary: number;
}

/** Opens a WebSocket to `/api/stream/ws` and resolves once the handshake is done. */
async function connect(target: Listening = server, options: ClientOptions = {}): Promise<Session> {
  const ws = new WebSocket(`ws://127.0.0.1:${target.port}/api/stream/ws`, options);
  const session: Session = {
    ws,
    messages: [],
    errors: [],
    binary: 0,
    closed: new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString('utf8') }))),
  };
  ws.on('error', (error) => session.errors.push(error));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) session.binary++;
    else session.messages.push(JSON.parse(String(data)) as Message);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return session;
}

const start = (settings: Record<string, unknown>): string => JSON.stringify({ type: 'start', ...settings });
const tokensOf = (messages: Message[]) => messages.filter((m): m is Extract<Message, { type: 'token' }> => m.type === 'token');

/** A whole normal stream: tokens that reassemble the reply exactly, done, close 1000. */
async function expectNormalStream(target: Listening = server, options: ClientOptions = {}, prompt = 'emoji-glitches'): Promise<void> {
  const settings = { prompt, tps: 1000, ttft: 0 };
  const reply = replyFor(parseSettings(settings));
  const session = await connect(target, options);
  session.ws.send(start(settings));
  expect(await session.closed).toEqual({ code: 1000, reason: 'done' });
  const tokens = tokensOf(session.messages);
  expect(tokens).toEqual(reply.tokens.map((text, index) => ({ type: 'token', index, text })));
  expect(tokens.map((t) => t.text).join('')).toBe(reply.text);
  expect(session.messages.at(-1)).toEqual({ type: 'done', ...summarize(reply) });
  expect(session.messages).toHaveLength(reply.tokens.length + 1);
  expect(session.errors).toEqual([]);
  expect(session.binary).toBe(0);
}

describe('GET /api/stream/ws', () => {
  it('streams start → tokens → done → close 1000, and the text reassembles exactly', async () => {
    await expectNormalStream();
    await until(() => server.limiter.open === 0, 'the stream to be released');
  });

  it('reassembles text with carriage returns, blank lines and "data:" lines exactly', async () => {
    const text = 'line one\r\n\r\ndata: not an event\n\nevent: done\r🇯🇵 👩‍💻 "quoted" \\ back\u2028slash\u0000end';
    const session = await connect();
    session.ws.send(start({ text, tps: 1000, ttft: 0 }));
    expect(await session.closed).toEqual({ code: 1000, reason: 'done' });
    expect(
      tokensOf(session.messages)
        .map((t) => t.text)
        .join(''),
    ).toBe(text);
  });

  it('answers a plain GET (no upgrade) with a problem saying to use WebSocket', async () => {
    const response = await fetch(`${server.url}/api/stream/ws`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/WebSocket/);
  });

  describe('closes on a bad message with its exact close code and error message', () => {
    const cases: { name: string; send: (ws: WebSocket) => void; code: number; detail: string }[] = [
      {
        name: 'a binary frame',
        send: (ws) => ws.send(Buffer.from(start({ tps: 1000, ttft: 0 }))),
        code: 1003,
        detail: 'Binary messages are not supported; send JSON text.',
      },
      { name: 'text that is not JSON', send: (ws) => ws.send('start please'), code: 1007, detail: 'The message is not valid JSON.' },
      { name: 'truncated JSON', send: (ws) => ws.send('{"type":"start"'), code: 1007, detail: 'The message is not valid JSON.' },
      {
        name: 'JSON that is not a start message',
        send: (ws) => ws.send('{"type":"go"}'),
        code: 1008,
        detail: 'Expected a message {"type":"start", …settings}.',
      },
      { name: 'a JSON array', send: (ws) => ws.send('[{"type":"start"}]'), code: 1008, detail: 'Expected a message {"type":"start", …settings}.' },
      { name: 'JSON null', send: (ws) => ws.send('null'), code: 1008, detail: 'Expected a message {"type":"start", …settings}.' },
      { name: 'stop before start', send: (ws) => ws.send('{"type":"stop"}'), code: 1008, detail: 'Expected a message {"type":"start", …settings}.' },
      {
        name: 'start with tps out of bounds',
        send: (ws) => ws.send(start({ tps: 5000 })),
        code: 1008,
        detail: 'Parameter "tps" must be a number from 0.5 to 1000; got 5000.',
      },
      {
        name: 'start with an unknown setting',
        send: (ws) => ws.send(start({ speed: 3 })),
        code: 1008,
        detail: 'Unknown parameter "speed". Known parameters: prompt, text, tps, ttft, jitter, seed, run, fail, temperature, model, pad.',
      },
      {
        name: 'a second start while streaming',
        send: (ws) => {
          ws.send(start({ prompt: 'on-the-wire', tps: 200, ttft: 0 }));
          ws.send(start({ tps: 1000 }));
        },
        code: 1008,
        detail: 'A reply is already streaming on this connection; send "start" once.',
      },
    ];

    it.each(cases)('$name → $code', async ({ send, code, detail }) => {
      const session = await connect();
      send(session.ws);
      expect(await session.closed).toEqual({ code, reason: detail });
      // The error message is the last thing sent (a second start may follow a few tokens).
      expect(session.messages.at(-1)).toEqual({ type: 'error', code, detail });
      expect(session.messages.filter((m) => m.type !== 'token')).toHaveLength(1);
      await until(() => server.limiter.open === 0, 'the stream to be released');
      await expectNormalStream(server, {}, 'what-is-sse');
    });

    it('names the setting in the detail: "tps"', async () => {
      const session = await connect();
      session.ws.send(start({ tps: 5000 }));
      expect((await session.closed).reason).toContain('"tps"');
      expect(session.messages.at(-1)).toMatchObject({ type: 'error', code: 1008, detail: expect.stringContaining('"tps"') as string });
    });

    it('a message over 256 KiB → 1009, and the server keeps serving', async () => {
      const session = await connect();
      session.ws.send('x'.repeat(256 * 1024 + 1));
      expect((await session.closed).code).toBe(1009);
      expect(session.messages).toEqual([]);
      await until(() => server.limiter.open === 0, 'the stream to be released');
      await expectNormalStream(server, {}, 'what-is-sse');
    });

    it('a message of exactly 256 KiB is read (and refused only for what it says)', async () => {
      const session = await connect();
      session.ws.send(JSON.stringify('x'.repeat(256 * 1024 - 2)));
      expect(await session.closed).toEqual({ code: 1008, reason: 'Expected a message {"type":"start", …settings}.' });
    });

    // BUG (server/transports/websocket.ts, session() → fail(): `ws.close(code, detail.slice(0, 120))`):
    // a close reason may be at most 123 *bytes*, but the slice counts UTF-16 code units. A detail
    // that echoes the client's input in non-ASCII (here `got "éééé…"`) is over 123 bytes, so
    // ws.close() throws RangeError("The message must not be greater than 123 bytes") inside the
    // 'message' listener: an uncaught exception that kills the whole server process (main.ts has
    // no handler). Any client can crash a classroom server with one message. The same throw
    // happens for `Unknown parameter "<non-ASCII key>"` and `Unknown prompt "<…>"`.
    // Fix: cut the reason by bytes on a character boundary, e.g.
    //   let reason = ''; for (const ch of detail) { if (Buffer.byteLength(reason + ch) > 123) break; reason += ch; }
    //   ws.close(code, reason);
    // (slice(0, 120) can also split a surrogate pair). Remove `.fails` once fixed.
    it('a detail with non-ASCII input still closes 1008 (the close reason is cut to 123 bytes)', async () => {
      const uncaught: unknown[] = [];
      // While a listener of ours is installed, Vitest leaves uncaught exceptions to it.
      const onUncaught = (error: unknown): void => void uncaught.push(error);
      process.on('uncaughtException', onUncaught);
      const session = await connect();
      try {
        session.ws.send(start({ tps: 'é'.repeat(200) }));
        let closed: { code: number; reason: string } | undefined;
        void session.closed.then((c) => (closed = c));
        await until(() => closed !== undefined || uncaught.length > 0, 'the close or a crash');
        expect(uncaught).toEqual([]);
        expect(closed?.code).toBe(1008);
        expect(Buffer.byteLength(closed!.reason)).toBeLessThanOrEqual(123);
        expect(closed!.reason.startsWith('Parameter "tps" must be a number from 0.5 to 1000; got "é')).toBe(true);
        const error = session.messages.at(-1);
        expect(error).toEqual({
          type: 'error',
          code: 1008,
          detail: `Parameter "tps" must be a number from 0.5 to 1000; got ${JSON.stringify('é'.repeat(200))}.`,
        });
      } finally {
        session.ws.terminate();
        process.off('uncaughtException', onUncaught);
      }
    });
  });

  it('{"type":"stop"} mid-stream closes 1000 with fewer tokens, all in order', async () => {
    const settings = { prompt: 'on-the-wire', tps: 200, ttft: 0 };
    const reply = replyFor(parseSettings(settings));
    const session = await connect();
    session.ws.send(start(settings));
    await until(() => session.messages.length >= 3, 'a few tokens');
    session.ws.send('{"type":"stop"}');
    expect(await session.closed).toEqual({ code: 1000, reason: 'stopped' });
    const tokens = tokensOf(session.messages);
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    expect(tokens.length).toBeLessThan(reply.tokens.length);
    expect(session.messages).toEqual(tokens); // no done, no error
    expect(tokens).toEqual(reply.tokens.slice(0, tokens.length).map((text, index) => ({ type: 'token', index, text })));
    await until(() => server.limiter.open === 0, 'the stream to be released');
    await expectNormalStream(server, {}, 'what-is-sse');
  });

  it('releases the stream shortly after a client that vanishes mid-stream', async () => {
    const session = await connect();
    session.ws.send(start({ prompt: 'on-the-wire', tps: 200, ttft: 0 }));
    await until(() => session.messages.length >= 1, 'the first token');
    expect(server.limiter.open).toBe(1);
    session.ws.terminate();
    await until(() => server.limiter.open === 0, 'the stream to be released');
    await expectNormalStream(server, {}, 'what-is-sse');
  });

  describe('checks Origin (browsers do not apply CORS to WebSockets)', () => {
    /** Tries a handshake; resolves with the HTTP refusal, or null if the upgrade succeeded. */
    function refusal(target: Listening, origin: string): Promise<{ status: number; contentType: string | undefined; body: string } | null> {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${target.port}/api/stream/ws`, { origin });
        ws.on('open', () => {
          ws.close();
          resolve(null);
        });
        ws.on('unexpected-response', (_req, res: IncomingMessage) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (text: string) => (body += text));
          res.on('end', () => {
            ws.terminate();
            resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body });
          });
        });
        ws.on('error', reject);
      });
    }

    it('refuses a foreign origin with 403 and a problem that says how to allow it', async () => {
      const refused = await refusal(server, 'http://evil.example');
      expect(refused?.status).toBe(403);
      expect(refused?.contentType).toBe('application/problem+json');
      expect(JSON.parse(refused!.body)).toEqual({
        type: 'about:blank',
        title: 'Forbidden',
        status: 403,
        detail: 'WebSocket connections from origin http://evil.example are refused. Allow it with STREAMSCOPE_ALLOWED_ORIGINS.',
      });
      await expectNormalStream(server, {}, 'what-is-sse');
    });

    it('the ws client reports the refusal as an error when nobody handles unexpected-response', async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/stream/ws`, { origin: 'http://evil.example' });
      const error = await new Promise<Error>((resolve) => ws.once('error', resolve));
      expect(error.message).toBe('Unexpected server response: 403');
    });

    it('accepts its own origin, and clients that send none', async () => {
      expect(await refusal(server, server.url)).toBeNull();
      await expectNormalStream(server, { origin: server.url }, 'what-is-sse');
      await expectNormalStream(server, {}, 'what-is-sse');
    });

    it('accepts an origin listed in allowedOrigins, and no other', async () => {
      const allowed = 'http://192.168.1.20:5173';
      const other = await listen({ allowedOrigins: [allowed] });
      try {
        expect(await refusal(other, allowed)).toBeNull();
        await expectNormalStream(other, { origin: allowed }, 'what-is-sse');
        expect((await refusal(other, 'http://192.168.1.21:5173'))?.status).toBe(403);
        expect((await refusal(other, 'http://evil.example'))?.status).toBe(403);
      } finally {
        await other.close();
      }
    });
  });

  it('leaves no stream open after all of the above', async () => {
    await until(() => server.limiter.open === 0, 'every stream to be released');
  });
});
