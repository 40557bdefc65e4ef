import { describe, expect, test } from 'vitest';
import { dissect, dissectConnection } from './dissect.ts';
import { wsConnection, wsKey, wsToken } from './testFixtures.ts';
import { bytes, elements, events, expectLeafInvariants, resplit, wsFrame } from './testKit.ts';
import type { Element } from './testKit.ts';
import type { ByteEvent, Direction, Segment } from './types.ts';
import { unmask } from './websocket.ts';

const [upgradeRequest, switching] = wsConnection();

/** The handshake, then `frames` as reads in their directions. */
function afterHandshake(...frames: [Direction, Uint8Array][]): ByteEvent[] {
  if (!upgradeRequest || !switching) throw new Error('fixture');
  return [upgradeRequest, switching, ...events(...frames).map((e) => ({ ...e, t: e.t + 10 }))];
}

/** WebSocket elements in one direction, checked against the leaf invariants. */
function ws(input: ByteEvent[], dir: Direction = 'down'): Element[] {
  const segments = dissect(input);
  expectLeafInvariants(input, segments);
  return elements(segments).filter((e) => e.layer === 'ws' && e.dir === dir);
}

describe('handshake', () => {
  test('101 Switching Protocols turns both directions into frames', () => {
    const { exchanges, segments } = dissectConnection(wsConnection());
    expect(exchanges[0]?.upgrade).toBe('websocket');
    const status = segments.find((s) => s.kind === 'status-line');
    expect(status?.explain).toMatch(/WebSocket frames/);
    const names = new Map(segments.filter((s) => s.kind === 'header').map((s) => [s.name, s]));
    expect(names.get('Sec-WebSocket-Key')).toMatchObject({ varying: true, explain: expect.stringMatching(/random/) as unknown });
    expect(names.get('Sec-WebSocket-Accept')).toMatchObject({ varying: true });
    expect(names.get('Sec-WebSocket-Version')?.explain).toMatch(/13/);
    expect(names.get('Upgrade')?.explain).toMatch(/websocket/);
    expect(segments.filter((s) => s.layer === 'ws').every((s) => s.exchange === 1)).toBe(true);
  });

  test('an upgrade refused with 400: the client stream goes on as HTTP', () => {
    if (!upgradeRequest) throw new Error('fixture');
    const input = [upgradeRequest, ...events(['down', 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'], ['up', 'GET /next HTTP/1.1\r\n\r\n'])];
    const { exchanges } = dissectConnection(input);
    expect(exchanges.map((x) => [x.request?.path, x.response?.status, x.upgrade])).toEqual([
      ['/api/stream/ws', 400, undefined],
      ['/next', undefined, undefined],
    ]);
  });
});

describe('frames', () => {
  test('a masked client frame: header fields, masking key, masked bytes with their unmasked text', () => {
    const payload = '{"type":"start","prompt":"hello","tps":20}';
    const input = afterHandshake(['up', wsFrame({ payload, mask: wsKey })]);
    const up = ws(input, 'up');
    expect(up.map((e) => [e.kind, e.label])).toEqual([
      ['ws-fin-opcode', 'FIN=1 RSV=000 opcode=1 (text)'],
      ['ws-mask-len', 'MASK=1, length 42'],
      ['ws-mask-key', 'masking key 37fa213d (varies)'],
      ['ws-payload', `text payload (start): ${payload.slice(0, 39)}…`],
    ]);
    const leaf = dissect(input).find((s) => s.kind === 'ws-payload');
    expect(leaf?.text).toBe(payload);
    expect(leaf?.unmasked).toEqual(bytes(payload));
    expect(leaf?.varying).toBe(true);
    const wire = input.at(-1)?.bytes.subarray(6);
    expect(wire).not.toEqual(bytes(payload));
    expect(wire && unmask(wire, new Uint8Array(wsKey))).toEqual(bytes(payload));
  });

  test('server token frames: unmasked, token from {"type":"token","index":n}', () => {
    const input = afterHandshake(['down', wsFrame({ payload: wsToken(4, 'ab') })]);
    const payload = ws(input).at(-1);
    expect(payload).toMatchObject({ kind: 'ws-payload', token: 4, tokenText: 'ab', payloadBytes: 2, label: 'payload: token 4 "ab"', frame: 1 });
  });

  test.each([
    [125, 'MASK=0, length 125', undefined],
    [126, 'MASK=0, length 126 → 16-bit length follows', 'extended length 126 bytes (16-bit)'],
    [65535, 'MASK=0, length 126 → 16-bit length follows', 'extended length 65,535 bytes (16-bit)'],
    [70_000, 'MASK=0, length 127 → 64-bit length follows', 'extended length 70,000 bytes (64-bit)'],
  ])('a %i-byte payload: length fields', (n, lengthLabel, extLabel) => {
    const input = afterHandshake(['down', wsFrame({ payload: 'é'.repeat(n / 2) + 'x'.repeat(n % 2) })]);
    const down = ws(input);
    expect(down.find((e) => e.kind === 'ws-mask-len')?.label).toBe(lengthLabel);
    expect(down.find((e) => e.kind === 'ws-ext-len')?.label).toBe(extLabel);
    expect(down.find((e) => e.kind === 'ws-payload')?.length).toBe(n);
  });

  test('a 70,000-byte masked payload in 1,000-byte reads: 71 pieces, unmasked bytes and text intact', () => {
    const text = '日本'.repeat(11_666) + 'xxxx';
    expect(bytes(text).length).toBe(70_000);
    const input = resplit(afterHandshake(['up', wsFrame({ payload: text, mask: [9, 8, 7, 6] })]), 1000);
    const pieces = dissect(input).filter((s) => s.kind === 'ws-payload');
    expect(pieces.length).toBe(71);
    expect(pieces.every((p) => p.text === text)).toBe(true);
    const unmasked = bytes(...pieces.map((p) => p.unmasked ?? new Uint8Array()));
    expect(unmasked).toEqual(bytes(text));
    expectLeafInvariants(input, dissect(input));
  });

  test('several frames in one read, and a frame split across reads mid-length', () => {
    const frames = bytes(wsFrame({ payload: wsToken(0, 'a') }), wsFrame({ payload: 'y'.repeat(200) }), wsFrame({ payload: wsToken(1, 'b') }));
    const oneRead = ws(afterHandshake(['down', frames]));
    expect(oneRead.filter((e) => e.kind === 'ws-payload').map((e) => [e.frame, e.token])).toEqual([
      [1, 0],
      [2, undefined],
      [3, 1],
    ]);
    const cut = frames.indexOf(126) + 2; // inside the 16-bit length of frame 2
    const split = ws(afterHandshake(['down', frames.subarray(0, cut)], ['down', frames.subarray(cut)]));
    expect(split.map((e) => e.label)).toEqual(oneRead.map((e) => e.label));
  });

  test('close frames: code and reason, masked ones unmasked', () => {
    const input = afterHandshake(
      ['down', wsFrame({ opcode: 8, payload: bytes(new Uint8Array([0x03, 0xe8]), 'bye') })],
      ['up', wsFrame({ opcode: 8, payload: bytes(new Uint8Array([0x03, 0xe9])), mask: [0xaa, 0xbb, 0xcc, 0xdd] })],
    );
    expect(
      ws(input)
        .map((e) => e.label)
        .slice(2),
    ).toEqual(['close code 1000 (normal closure)', 'close reason "bye"']);
    expect(ws(input, 'up').at(-1)?.label).toBe('close code 1001 (going away)');
    const code = dissect(input).find((s) => s.dir === 'up' && s.kind === 'ws-close-code');
    expect(code?.unmasked).toEqual(new Uint8Array([0x03, 0xe9]));
  });

  test('ping and pong; a close with no payload has no payload leaf', () => {
    const input = afterHandshake(
      ['down', bytes(wsFrame({ opcode: 9, payload: 'hi' }), wsFrame({ opcode: 8 }))],
      ['up', wsFrame({ opcode: 10, payload: 'hi', mask: [1, 1, 1, 1] })],
    );
    expect(ws(input).map((e) => e.label)).toEqual([
      'FIN=1 RSV=000 opcode=9 (ping)',
      'MASK=0, length 2',
      'ping payload "hi"',
      'FIN=1 RSV=000 opcode=8 (close)',
      'MASK=0, length 0',
    ]);
    expect(ws(input, 'up').at(-1)?.label).toBe('pong payload "hi"');
  });

  test('a message in two fragments: a UTF-8 character split between them decodes, the token is on the last', () => {
    const message = bytes(wsToken(2, '🙂'));
    const cut = message.indexOf(0xf0) + 2;
    const input = afterHandshake(
      ['down', wsFrame({ fin: false, payload: message.subarray(0, cut) })],
      ['down', wsFrame({ opcode: 0, payload: message.subarray(cut) })],
    );
    const payloads = ws(input).filter((e) => e.kind === 'ws-payload');
    expect(payloads.map((e) => [e.frame, e.token])).toEqual([
      [1, undefined],
      [2, 2],
    ]);
    expect(payloads.map((e) => e.text).join('')).toBe(wsToken(2, '🙂'));
    expect(ws(input).find((e) => e.frame === 2)?.label).toBe('FIN=1 RSV=000 opcode=0 (continuation)');
  });

  test('a compressed payload (RSV1) is not decoded', () => {
    const payload = ws(afterHandshake(['down', wsFrame({ rsv: 4, payload: new Uint8Array([1, 2, 3]) })])).at(-1);
    expect(payload).toMatchObject({ label: 'compressed payload, 3 bytes', text: undefined });
  });

  test('an impossible 64-bit length is an error; a frame cut short is incomplete', () => {
    const huge = new Uint8Array([0x82, 127, 0xff, 0, 0, 0, 0, 0, 0, 1, 9, 9]);
    expect(ws(afterHandshake(['down', huge])).map((e) => e.kind)).toEqual(['ws-fin-opcode', 'ws-mask-len', 'error']);
    const cut = wsFrame({ payload: 'hello' }).subarray(0, 4);
    const last: Segment | undefined = dissect(afterHandshake(['down', cut])).at(-1);
    expect(last).toMatchObject({ kind: 'incomplete', layer: 'ws', length: 2 });
  });
});
