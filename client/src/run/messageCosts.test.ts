import { describe, expect, it } from 'vitest';
import { dissect } from '../wire/dissect.ts';
import { bytes, events, resplit, wsFrame } from '../wire/testKit.ts';
import type { ByteEvent } from '../wire/types.ts';
import { messageCosts } from './messageCosts.ts';

/** The dissected segments of each connection, with their connection number and bytes, as a lane keeps them. */
function lane(...connections: ByteEvent[][]): Parameters<typeof messageCosts>[0] {
  return connections.flatMap((evs, conn) => {
    // Each segment's bytes, cut from its direction's stream by offset.
    const streams = {
      up: bytes(...evs.filter((e) => e.dir === 'up').map((e) => e.bytes)),
      down: bytes(...evs.filter((e) => e.dir === 'down').map((e) => e.bytes)),
    };
    return dissect(evs).map((s) => ({ ...s, conn, bytes: streams[s.dir].subarray(s.offset, s.offset + s.length) }));
  });
}

const handshake =
  'GET /api/labs/duplex/ws?run=r1 HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
const accept = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';
const mask = [1, 2, 3, 4];
const say = (index: number, text: string): string => JSON.stringify({ type: 'say', index, text });

describe('messageCosts', () => {
  it('WebSocket: 6 bytes of framing per small client frame (2 of header, 4 of mask), the handshake apart, the close frame not counted', () => {
    const costs = messageCosts(
      lane(
        events(
          ['up', handshake],
          ['down', accept],
          ['up', wsFrame({ payload: say(0, 'one '), mask })],
          ['up', wsFrame({ payload: say(1, 'two'), mask })],
          ['up', wsFrame({ opcode: 8, payload: new Uint8Array([3, 232]), mask })],
        ),
      ),
    );
    expect(costs).toEqual({
      messages: 2,
      framingPerMessage: 6,
      payloadPerMessage: (say(0, 'one ').length + say(1, 'two').length) / 2,
      handshake: handshake.length,
      lastMessage: 6 + say(1, 'two').length,
    });
  });

  it('WebSocket: a payload over 125 bytes takes 2 more bytes of length', () => {
    const long = say(0, 'x'.repeat(200));
    expect(messageCosts(lane(events(['up', handshake], ['down', accept], ['up', wsFrame({ payload: long, mask })])))?.framingPerMessage).toBe(8);
  });

  it('HTTP: each request is a message, its head the framing and its body the payload, on one connection or several', () => {
    const post = (body: string): string =>
      `POST /api/labs/duplex/echo?run=r1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const head = (body: string): number => post(body).length - body.length;
    const answer = (body: string): string => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const a = '{"index":0,"text":"one "}';
    const b = '{"index":1,"text":"two"}';
    const costs = messageCosts(
      lane(events(['up', post(a)], ['down', answer(a)], ['up', post(b)], ['down', answer(b)]), events(['up', post(a)], ['down', answer(a)])),
    );
    expect(costs).toEqual({
      messages: 3,
      framingPerMessage: (2 * head(a) + head(b)) / 3,
      payloadPerMessage: (2 * a.length + b.length) / 3,
      handshake: 0,
      lastMessage: post(a).length,
    });
  });

  it('gives the same figures when the bytes arrive in odd-sized reads', () => {
    const whole = events(['up', handshake], ['down', accept], ['up', wsFrame({ payload: say(0, 'one'), mask })]);
    expect(messageCosts(lane(resplit(whole, 7)))).toEqual(messageCosts(lane(whole)));
  });

  it('is null when nothing went up', () => {
    expect(messageCosts([])).toBeNull();
  });
});
