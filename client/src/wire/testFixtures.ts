/**
 * Hand-built connections, one per transport, shaped like what the Streamscope server sends
 * (Express 5 on Node 20: one writev per res.write(), heads flushed before the first token).
 * Imported only by tests; the captured fixtures of the real server live elsewhere.
 */
import { bytes, chunk, events, lastChunk, wsFrame } from './testKit.ts';
import type { ByteEvent } from './types.ts';

/** Token texts with the hard cases: an emoji, Japanese, CR LF and `data:` inside the text. */
export const tokenTexts = ['Hel', 'lo', ' 🙂', ' 日本', '\r\ndata: x', '!'];

export const sseRequest =
  'GET /api/stream/sse?prompt=hello&tps=20&run=r1 HTTP/1.1\r\n' +
  'Host: localhost:5173\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n' +
  'Connection: keep-alive\r\n\r\n';

export const sseResponseHead =
  'HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\nContent-Type: text/event-stream; charset=utf-8\r\n' +
  'Cache-Control: no-cache, no-transform\r\nConnection: keep-alive\r\nX-Accel-Buffering: no\r\n' +
  'Date: Tue, 25 Nov 2025 21:00:00 GMT\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n';

export function sseEvent(index: number, text: string): string {
  return `id: ${index}\nevent: token\ndata: ${JSON.stringify({ index, text })}\n\n`;
}

/** GET /api/stream/sse: a chunked event stream, one chunk per token event. */
export function sseConnection(): ByteEvent[] {
  return events(
    ['up', sseRequest],
    ['down', sseResponseHead],
    ['down', chunk('retry: 3000\n\n')],
    ...tokenTexts.map((text, i): ['down', Uint8Array] => ['down', chunk(sseEvent(i, text))]),
    ['down', chunk('event: done\ndata: {"tokens":6}\n\n')],
    ['down', lastChunk],
  );
}

const openaiBody = JSON.stringify({ model: 'streamscope', stream: true, messages: [{ role: 'user', content: 'Hi 👋' }] });

function completionChunk(delta: object, finish: string | null = null): string {
  const body = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model: 'streamscope', choices: [{ index: 0, delta, finish_reason: finish }] };
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** POST /v1/chat/completions with stream: true — head and body in separate reads, as curl sends them. */
export function openaiConnection(): ByteEvent[] {
  return events(
    [
      'up',
      `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost:5173\r\nContent-Type: application/json\r\nContent-Length: ${bytes(openaiBody).length}\r\n\r\n`,
    ],
    ['up', openaiBody],
    ['down', 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['down', chunk(completionChunk({ role: 'assistant', content: '' }))],
    ...tokenTexts.map((content): ['down', Uint8Array] => ['down', chunk(completionChunk({ content }))]),
    ['down', chunk(completionChunk({}, 'stop'))],
    ['down', chunk('data: [DONE]\n\n')],
    ['down', lastChunk],
  );
}

export const bufferedReply = JSON.stringify({ text: tokenTexts.join(''), tokens: tokenTexts });

/** Keep-alive: GET /api/prompts, then GET /api/stream/http on the same connection, both Content-Length. */
export function bufferedConnection(): ByteEvent[] {
  const prompts = '[{"id":"hello"}]';
  return events(
    ['up', 'GET /api/prompts HTTP/1.1\r\nHost: localhost:5173\r\n\r\n'],
    ['down', `HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${prompts.length}\r\nETag: W/"10-abc"\r\n\r\n${prompts}`],
    ['up', 'GET /api/stream/http?prompt=hello HTTP/1.1\r\nHost: localhost:5173\r\n\r\n'],
    [
      'down',
      bytes(`HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${bytes(bufferedReply).length}\r\n\r\n`, bufferedReply),
    ],
  );
}

export const wsKey = [0x37, 0xfa, 0x21, 0x3d];

export function wsToken(index: number, text: string): string {
  return JSON.stringify({ type: 'token', index, text });
}

/** GET /api/stream/ws: the upgrade, a masked start message, token frames, closes both ways. */
export function wsConnection(): ByteEvent[] {
  return events(
    [
      'up',
      'GET /api/stream/ws HTTP/1.1\r\nHost: localhost:5173\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ],
    [
      'down',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' + 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    ],
    ['up', wsFrame({ payload: '{"type":"start","prompt":"hello","tps":20}', mask: wsKey })],
    ...tokenTexts.map((text, i): ['down', Uint8Array] => ['down', wsFrame({ payload: wsToken(i, text) })]),
    ['down', wsFrame({ payload: 'x'.repeat(126) })],
    ['down', wsFrame({ payload: '{"type":"done"}' })],
    ['down', wsFrame({ opcode: 0x8, payload: bytes(new Uint8Array([0x03, 0xe8]), 'done') })],
    ['up', wsFrame({ opcode: 0x8, payload: bytes(new Uint8Array([0x03, 0xe8])), mask: [1, 2, 3, 4] })],
  );
}
