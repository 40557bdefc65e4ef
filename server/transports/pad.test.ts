/**
 * The `pad` setting over real sockets: every token event of the event streams is a multiple of
 * the block size, the TLS records that carry them on the HTTPS port are then all one size, the
 * WebSocket's token frames are padded too, and `pad` 0 leaves the bytes as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http2 from 'node:http2';
import WebSocket from 'ws';
import { createParser } from 'eventsource-parser';
import { padEvent, sseEvent } from '../sse/eventStream.ts';
import { padMessage } from './websocket.ts';
import { listenHttps, type ListeningHttps } from '../testing/listenHttps.ts';
import { subscribeTap } from '../testing/tapReader.ts';
import { until } from '../testing/until.ts';
import { expectedSse } from '../testing/expectedSse.ts';
import type { TapEvent, TapOpen } from '../../shared/tap.ts';

let server: ListeningHttps;
beforeAll(async () => {
  server = await listenHttps({ maxStreamsPerClient: 1000 });
});
afterAll(() => server.close());

/** Tokens of very different lengths, so unpadded sizes differ. */
const text = 'A sentence, then extraordinarily long words: incomprehensibilities.';
const query = (pad: number, more = '', words = text): string => `tps=1000&ttft=0&jitter=0&text=${encodeURIComponent(words)}&pad=${pad}${more}`;
/** Tokens short enough that every padded event fits one block of 64 bytes, of lengths 1 to 8. */
const shortText = 'A word, then some longer ones: streaming tokens in records.';

/** The events of an SSE body, each with its own bytes (up to and with its blank line). */
function events(body: string): string[] {
  return body.split(/(?<=\n\n)/).filter((e) => e !== '');
}

describe('padEvent', () => {
  const event = sseEvent({ id: 3, event: 'token', data: { index: 3, text: ' words' } });
  it.each([16, 17, 64, 100, 1024])('pads to a multiple of %i with one comment line before the blank line', (pad) => {
    const padded = padEvent(event, pad);
    expect(Buffer.byteLength(padded) % pad).toBe(0);
    expect(padded.startsWith(event.slice(0, -1))).toBe(true);
    expect(padded.slice(event.length - 1)).toMatch(/^: [a-z0-9]*\n\n$/);
    expect(padEvent(event, pad)).toBe(padded);
  });

  it('pads to the next multiple when fewer than 3 bytes would remain, and counts UTF-8 bytes', () => {
    const length = Buffer.byteLength(event);
    expect(Buffer.byteLength(padEvent(event, length))).toBe(2 * length);
    expect(Buffer.byteLength(padEvent(event, length + 2))).toBe(2 * (length + 2));
    expect(Buffer.byteLength(padEvent(event, length + 3))).toBe(length + 3);
    const wide = sseEvent({ data: { text: '日本語' } });
    expect(Buffer.byteLength(padEvent(wide, 32)) % 32).toBe(0);
  });

  it('reads the same to an SSE parser', () => {
    const seen: string[] = [];
    const parser = createParser({ onEvent: (e) => seen.push(`${e.id}|${e.event}|${e.data}`) });
    parser.feed(padEvent(event, 64));
    expect(seen).toEqual(['3|token|{"index":3,"text":" words"}']);
  });

  it('leaves the event as it is with pad 0', () => {
    expect(padEvent(event, 0)).toBe(event);
  });
});

describe('padMessage', () => {
  it.each([16, 64, 128, 1024])('makes each WebSocket frame (header and JSON) a multiple of %i', (pad) => {
    for (const text of ['a', 'word', 'x'.repeat(100), 'y'.repeat(300)]) {
      const json = padMessage({ type: 'token', index: 1, text }, pad);
      const payload = Buffer.byteLength(json);
      const header = payload < 126 ? 2 : 4;
      expect((payload + header) % pad).toBe(0);
      expect(JSON.parse(json)).toMatchObject({ type: 'token', index: 1, text });
    }
  });
});

describe('pad over the wire', () => {
  it('makes every token event of /api/stream/sse a multiple of 64 bytes; pad=0 sends the bytes as before', async () => {
    const padded = await (await fetch(`${server.url}/api/stream/sse?${query(64)}`)).text();
    const tokens = events(padded).filter((e) => e.includes('event: token'));
    expect(tokens.length).toBeGreaterThan(5);
    for (const e of tokens) expect(Buffer.byteLength(e) % 64).toBe(0);
    // Everything else as it was.
    const others = events(padded).filter((e) => !e.includes('event: token'));
    const plain = await (await fetch(`${server.url}/api/stream/sse?${query(0)}`)).text();
    expect(others).toEqual(events(plain).filter((e) => !e.includes('event: token')));
    expect(plain).toBe(expectedSse({ text, tps: 1000, ttft: 0, jitter: 0 }));
    // The same settings, the same bytes.
    expect(await (await fetch(`${server.url}/api/stream/sse?${query(64)}`)).text()).toBe(padded);
  });

  it('pads the OpenAI and Anthropic token events too (comments their SDKs skip)', async () => {
    for (const [path, marker] of [
      ['/v1/chat/completions', '"content":"'],
      ['/v1/messages', 'content_block_delta'],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'echo', max_tokens: 100, stream: true, messages: [{ role: 'user', content: text }], tps: 1000, ttft: 0, pad: 128 }),
      });
      const body = await response.text();
      const tokens = events(body).filter((e) => e.includes(marker) && !e.includes('"content":""'));
      expect(tokens.length, path).toBeGreaterThan(5);
      for (const e of tokens) expect(Buffer.byteLength(e) % 128, path).toBe(0);
    }
  });

  it('rejects a bad pad with a problem naming it', async () => {
    for (const bad of ['8', '2000', '-16', '64.5', 'big']) {
      const response = await fetch(`${server.url}/api/stream/sse?pad=${bad}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await response.json()) as { detail: string }).detail).toMatch(/"pad"/);
    }
  });

  it('pads the WebSocket token messages with a "pad" field', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/stream/ws`);
    const frames: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'start', text, tps: 1000, ttft: 0, pad: 64 })));
      ws.on('message', (data) => {
        frames.push(String(data));
        if (String(data).includes('"done"')) resolve();
      });
      ws.on('error', reject);
    });
    ws.close();
    const tokens = frames.filter((f) => f.includes('"token"'));
    expect(tokens.length).toBeGreaterThan(5);
    for (const f of tokens) expect((Buffer.byteLength(f) + 2) % 64).toBe(0);
  });

  it('sends every token event over HTTP/2 inside TLS records of one size with pad=64, of many sizes without', async () => {
    const recordSizes = async (pad: number): Promise<number[]> => {
      const run = `pad${pad}`;
      const tap = await subscribeTap(server.url, run);
      const session = http2.connect(server.httpsUrl, { ca: server.ca });
      try {
        await new Promise<void>((resolve, reject) => {
          // Paced, so each token leaves in its own DATA frame and its own record.
          const req = session.request({ ':path': `/api/stream/sse?${query(pad, `&run=${run}`, shortText).replace('tps=1000', 'tps=40')}` });
          req.resume();
          req.on('end', resolve);
          req.on('error', reject);
        });
      } finally {
        session.close();
      }
      await until(() => tap.events.filter((e) => e.type === 'close').length === 2, 'both layers closing');
      tap.stop();
      const plain = tap.events.find((e): e is TapOpen => e.type === 'open' && !e.layer)!;
      const decode = (e: TapEvent): Buffer => Buffer.from('data' in e ? e.data : '', 'base64');
      // Each plaintext write that carries a token event, paired with the next write of records.
      const sizes: number[] = [];
      let waiting = false;
      for (const e of tap.events) {
        if (e.type !== 'write') continue;
        if (e.conn === plain.conn) {
          // A write of one DATA frame holding one token event (a busy event loop may write a
          // token together with the next event, or the done event, in one write and one record).
          const bytes = decode(e);
          const single = bytes.length >= 9 && bytes[3] === 0 && bytes.readUIntBE(0, 3) === bytes.length - 9;
          waiting = single && bytes.toString().split('event: token').length === 2;
        } else if ('layer' in e && e.layer === 'tls' && waiting) {
          waiting = false;
          const bytes = decode(e);
          for (let i = 0; i + 5 <= bytes.length; i += 5 + bytes.readUInt16BE(i + 3)) {
            expect(bytes[i]).toBe(0x17); // application data
            sizes.push(5 + bytes.readUInt16BE(i + 3));
          }
        }
      }
      return sizes;
    };
    const padded = await recordSizes(64);
    expect(padded.length).toBeGreaterThan(5);
    // 64 bytes of event, a 9-byte DATA frame header, a 5-byte record header, 17 bytes of AEAD tag and content type.
    expect(new Set(padded)).toEqual(new Set([64 + 9 + 5 + 17]));
    const unpadded = await recordSizes(0);
    expect(new Set(unpadded).size).toBeGreaterThan(3);
  });
});
