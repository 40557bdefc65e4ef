import { describe, expect, test } from 'vitest';
import { dissect, dissectConnection } from './dissect.ts';
import { wsConnection, wsKey, wsToken } from './testFixtures.ts';
import { bytes, elements, events, expectLeafInvariants, resplit, resplitRandom, wsFrame } from './testKit.ts';
import type { Element } from './testKit.ts';
import type { ByteEvent, Direction, Segment } from './types.ts';
import { unmask } from './websocket.ts';

const [upgradeRequest, switching] = wsConnection();

/** The handshake, then `frames` as reads in their directions. */
function afterHandshake(...frames: [Direction, Uint8Array][]): ByteEvent[] {
  if (!upgradeRequest || !switching) throw new Error('fixture');
  return [upgradeRequest, switching, ...events(...frames).map((e) => ({ ...e, t: e.t + 10 }))];
}

/** The handshake with `Sec-WebSocket-Extensions: permessage-deflate` accepted, then `frames`. */
function deflateHandshake(...frames: [Direction, Uint8Array][]): ByteEvent[] {
  if (!upgradeRequest || !switching) throw new Error('fixture');
  const accepted = bytes(new TextDecoder().decode(switching.bytes).replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n'));
  return [upgradeRequest, { ...switching, bytes: accepted }, ...events(...frames).map((e) => ({ ...e, t: e.t + 10 }))];
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

  test('a compressed payload (RSV1, permessage-deflate negotiated) is not decoded', () => {
    const down = ws(deflateHandshake(['down', wsFrame({ rsv: 4, payload: new Uint8Array([1, 2, 3]) })]));
    expect(down[0]).toMatchObject({ kind: 'ws-fin-opcode', label: 'FIN=1 RSV=100 opcode=1 (text)' });
    expect(down.at(-1)).toMatchObject({ label: 'compressed payload, 3 bytes', text: undefined });
  });

  test('an impossible 64-bit length is an error; a frame cut short is incomplete', () => {
    const huge = new Uint8Array([0x82, 127, 0xff, 0, 0, 0, 0, 0, 0, 1, 9, 9]);
    expect(ws(afterHandshake(['down', huge])).map((e) => e.kind)).toEqual(['ws-fin-opcode', 'ws-mask-len', 'error']);
    const cut = wsFrame({ payload: 'hello' }).subarray(0, 4);
    const last: Segment | undefined = dissect(afterHandshake(['down', cut])).at(-1);
    expect(last).toMatchObject({ kind: 'incomplete', layer: 'ws', length: 2 });
  });
});

/** The same input whole, one byte per read, and cut at random in a few seeded ways. */
function splits(input: ByteEvent[]): [string, ByteEvent[]][] {
  return [
    ['whole', input],
    ['byte by byte', resplit(input, 1)],
    ...[1, 7, 42, 1234].map((seed): [string, ByteEvent[]] => [`random splits (seed ${seed})`, resplitRandom(input, seed, 5)]),
  ];
}

/** `[frame, label]` of each element flagged as a protocol error, and its explanation. */
function flaggedIn(elements: Element[]): { frame: number | undefined; label: string; explain: string }[] {
  return elements.filter((e) => e.kind === 'error').map((e) => ({ frame: e.frame, label: e.label, explain: e.explain }));
}

/**
 * Dissects `input` whole, byte by byte and at random splits: every split has the leaf invariants
 * and the same elements; the flagged ones are `[frame, label prefix, section]`, each saying a real
 * endpoint fails the connection; the frame after them (a token) is still dissected.
 */
function expectFlagged(input: ByteEvent[], dir: Direction, want: [number, string, string][], tokenAfter?: number): void {
  let first: Element[] | undefined;
  for (const [name, split] of splits(input)) {
    const found = ws(split, dir);
    const simple = found.map((e) => [e.kind, e.label, e.frame, e.length, e.text]);
    if (first) expect(simple, name).toEqual(first.map((e) => [e.kind, e.label, e.frame, e.length, e.text]));
    else first = found;
    const flagged = flaggedIn(found);
    expect(
      flagged.map((f) => f.frame),
      name,
    ).toEqual(want.map((w) => w[0]));
    flagged.forEach((f, i) => {
      const [, label, section] = want[i] ?? [0, '', ''];
      expect(f.label, name).toContain(label);
      expect(f.explain, name).toContain(section);
      expect(f.explain, name).toMatch(/^Protocol error: .*must fail the WebSocket connection here \(RFC 6455 §7\.1\.7\)/);
    });
    if (tokenAfter !== undefined) expect(found.find((e) => e.kind === 'ws-payload' && e.token !== undefined)?.token, name).toBe(tokenAfter);
  }
}

const token = (i: number): Uint8Array => wsFrame({ payload: wsToken(i, 'ok') });

// RFC 6455 §5.2: RSV1-3 must be 0 unless an extension negotiated in the handshake defines them.
describe('protocol errors: RSV bits (§5.2)', () => {
  test.each([
    [4, 'RSV1 without an extension'],
    [2, 'RSV2 without an extension'],
    [1, 'RSV3 without an extension'],
    [7, 'RSV1, RSV2, RSV3 without an extension'],
  ])('RSV=%i with no extension negotiated', (rsv, label) => {
    expectFlagged(afterHandshake(['down', bytes(wsFrame({ rsv, payload: 'x' }), token(3))]), 'down', [[1, label, '§5.2']], 3);
  });

  test('with permessage-deflate: RSV1 on a first data frame is fine; RSV2, and RSV1 on a continuation or a ping, are not', () => {
    const input = deflateHandshake([
      'down',
      bytes(
        wsFrame({ rsv: 4, fin: false, payload: new Uint8Array([1]) }),
        wsFrame({ rsv: 4, opcode: 0, payload: new Uint8Array([2]) }),
        wsFrame({ rsv: 4, opcode: 9, payload: 'p' }),
        wsFrame({ rsv: 2, opcode: 2, payload: new Uint8Array([3]) }),
        token(5),
      ),
    ]);
    expectFlagged(
      input,
      'down',
      [
        [2, 'RSV1 outside the first frame of a data message', 'RFC 7692 §6.1'],
        [3, 'RSV1 outside the first frame of a data message', 'RFC 7692 §6.1'],
        [4, 'RSV2 without an extension', '§5.2'],
      ],
      5,
    );
  });

  test('a reserved opcode', () => {
    expectFlagged(afterHandshake(['down', bytes(wsFrame({ opcode: 3, payload: 'x' }), token(1))]), 'down', [[1, 'reserved opcode', '§5.2']], 1);
  });
});

// RFC 6455 §5.5: control frames have at most 125 bytes of payload and are never fragmented.
describe('protocol errors: control frames (§5.5)', () => {
  test.each([
    ['ping', 9],
    ['pong', 10],
    ['close', 8],
  ])('a %s with a 126-byte payload', (_name, opcode) => {
    const payload = opcode === 8 ? bytes(new Uint8Array([0x03, 0xe8]), 'r'.repeat(124)) : 'p'.repeat(126);
    const input = afterHandshake(['down', bytes(wsFrame({ opcode, payload }), token(2))]);
    expectFlagged(input, 'down', [[1, 'control payload over 125 bytes', '§5.5']], 2);
  });

  test('a ping with 125 bytes is fine', () => {
    expectFlagged(afterHandshake(['down', bytes(wsFrame({ opcode: 9, payload: 'p'.repeat(125) }), token(2))]), 'down', [], 2);
  });

  test.each([
    ['ping', 9],
    ['close', 8],
  ])('a %s with FIN=0', (_name, opcode) => {
    const input = afterHandshake(['down', bytes(wsFrame({ opcode, fin: false }), token(4))]);
    expectFlagged(input, 'down', [[1, 'fragmented control frame', '§5.5']], 4);
  });
});

// RFC 6455 §5.4: fragments of one message come in order; only control frames come between them.
describe('protocol errors: fragmentation (§5.4)', () => {
  test('a continuation with nothing to continue', () => {
    const input = afterHandshake(['down', bytes(wsFrame({ opcode: 0, payload: 'x' }), token(6))]);
    expectFlagged(input, 'down', [[1, 'continuation with nothing to continue', '§5.4']], 6);
  });

  test('an unfinished stray continuation is flagged once, not again on the frames that continue it', () => {
    const input = afterHandshake(['down', bytes(wsFrame({ opcode: 0, fin: false, payload: 'x' }), wsFrame({ opcode: 0, payload: 'y' }), token(6))]);
    expectFlagged(input, 'down', [[1, 'continuation with nothing to continue', '§5.4']], 6);
  });

  test.each([
    ['text', 1],
    ['binary', 2],
  ])('a new %s frame inside a fragmented message', (_name, opcode) => {
    const input = afterHandshake(['down', bytes(wsFrame({ fin: false, payload: 'a' }), wsFrame({ opcode, payload: 'b' }), token(7))]);
    expectFlagged(input, 'down', [[2, 'new message inside a fragmented one', '§5.4']], 7);
  });

  test('a ping between fragments is allowed, and the message still completes', () => {
    const message = bytes(wsToken(8, 'ok'));
    const input = afterHandshake([
      'down',
      bytes(
        wsFrame({ fin: false, payload: message.subarray(0, 5) }),
        wsFrame({ opcode: 9, payload: 'p' }),
        wsFrame({ opcode: 0, payload: message.subarray(5) }),
      ),
    ]);
    expectFlagged(input, 'down', [], 8);
  });
});

// RFC 6455 §7.4.1, §7.4.2: which close codes may be sent.
describe('protocol errors: close codes (§7.4)', () => {
  const close = (code: number): Uint8Array => wsFrame({ opcode: 8, payload: new Uint8Array([code >> 8, code & 0xff]) });

  test.each([
    [1005, '§7.4.1'],
    [1006, '§7.4.1'],
    [1015, '§7.4.1'],
    [0, '§7.4.2'],
    [999, '§7.4.2'],
    [1004, '§7.4.1'],
    [1016, '§7.4.2'],
    [2999, '§7.4.2'],
    [5000, '§7.4.2'],
  ])('close code %i must not be sent', (code, section) => {
    const input = afterHandshake(['down', bytes(close(code), token(1))]);
    expectFlagged(input, 'down', [[1, `close code ${code} (`, section]], 1);
    const found = ws(input).find((e) => e.kind === 'error');
    expect(found?.text).toBe(String(code));
  });

  test.each([1000, 1003, 1007, 1011, 1012, 1014, 3000, 4999])('close code %i is fine', (code) => {
    const input = afterHandshake(['down', close(code)]);
    expectFlagged(input, 'down', []);
    expect(ws(input).at(-1)?.kind).toBe('ws-close-code');
  });

  test('a masked close from the client with code 1006 is flagged too', () => {
    const input = afterHandshake(['up', wsFrame({ opcode: 8, payload: new Uint8Array([0x03, 0xee]), mask: [1, 2, 3, 4] })]);
    expectFlagged(input, 'up', [[1, 'close code 1006 (abnormal closure): must not be sent', '§7.4.1']]);
  });
});

// RFC 6455 §5.6, §8.1: text messages and close reasons are UTF-8; a receiver fails on invalid bytes.
describe('protocol errors: invalid UTF-8 (§8.1)', () => {
  test('a malformed byte in a text frame', () => {
    const input = afterHandshake(['down', bytes(wsFrame({ payload: bytes('ab', new Uint8Array([0xff]), 'cd') }), token(2))]);
    expectFlagged(input, 'down', [[1, 'invalid UTF-8', '§8.1']], 2);
    expect(ws(input).find((e) => e.kind === 'error')?.label).toMatch(/^text payload: ab\uFFFDcd: invalid UTF-8$/);
  });

  test('an overlong encoding and an encoded surrogate are invalid', () => {
    const input = afterHandshake(['down', bytes(wsFrame({ payload: new Uint8Array([0xc0, 0xaf]) }), wsFrame({ payload: new Uint8Array([0xed, 0xa0, 0x80]) }))]);
    expectFlagged(input, 'down', [
      [1, 'invalid UTF-8', '§8.1'],
      [2, 'invalid UTF-8', '§8.1'],
    ]);
  });

  test('a character split across fragments is checked whole: valid when completed, flagged on the frame that breaks it', () => {
    const good = afterHandshake([
      'down',
      bytes(wsFrame({ fin: false, payload: new Uint8Array([0xf0, 0x9f]) }), wsFrame({ opcode: 0, payload: new Uint8Array([0x99, 0x82]) })),
    ]);
    expectFlagged(good, 'down', []);
    const broken = afterHandshake([
      'down',
      bytes(
        wsFrame({ fin: false, payload: new Uint8Array([0xf0, 0x9f]) }),
        wsFrame({ opcode: 0, fin: false, payload: 'x' }),
        wsFrame({ opcode: 0, payload: 'y' }),
        token(3),
      ),
    ]);
    expectFlagged(broken, 'down', [[2, 'invalid UTF-8', '§8.1']], 3);
  });

  test('a message that ends inside a character is flagged on its last frame', () => {
    const input = afterHandshake([
      'down',
      bytes(wsFrame({ fin: false, payload: 'ok' }), wsFrame({ opcode: 0, payload: new Uint8Array([0xe6, 0x97]) }), token(4)),
    ]);
    expectFlagged(input, 'down', [[2, 'invalid UTF-8', '§5.6']], 4);
  });

  test('binary frames are not checked', () => {
    expectFlagged(afterHandshake(['down', wsFrame({ opcode: 2, payload: new Uint8Array([0xff, 0xfe]) })]), 'down', []);
  });

  test('an invalid close reason', () => {
    const input = afterHandshake(['down', wsFrame({ opcode: 8, payload: new Uint8Array([0x03, 0xe8, 0x62, 0xff]) })]);
    expectFlagged(input, 'down', [[1, 'invalid UTF-8', '§5.5.1']]);
    expect(ws(input).map((e) => e.kind)).toEqual(['ws-fin-opcode', 'ws-mask-len', 'ws-close-code', 'error']);
  });
});

// RFC 6455 §5.1: a client masks every frame, a server masks none.
describe('protocol errors: masking (§5.1)', () => {
  test('an unmasked client frame', () => {
    const input = afterHandshake(['up', bytes(wsFrame({ payload: 'hi' }), wsFrame({ payload: 'ok', mask: wsKey }))]);
    expectFlagged(input, 'up', [[1, 'unmasked client frame', '§5.1']]);
    expect(ws(input, 'up').at(-1)).toMatchObject({ kind: 'ws-payload', text: 'ok' });
  });

  test('a masked server frame: flagged, still unmasked for reading', () => {
    const input = afterHandshake(['down', bytes(wsFrame({ payload: wsToken(5, 'ok'), mask: [5, 6, 7, 8] }), token(6))]);
    expectFlagged(input, 'down', [[1, 'masked server frame', '§5.1']], 5);
    const tokens = ws(input).filter((e) => e.token !== undefined);
    expect(tokens.map((e) => e.token)).toEqual([5, 6]);
  });

  test('the fixture connection has no protocol errors either way', () => {
    for (const dir of ['up', 'down'] as const) expectFlagged(wsConnection(), dir, []);
  });
});
