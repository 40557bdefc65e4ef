import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Problem } from '../../problem.ts';
import { originAllowed } from '../../origin.ts';
import type { StreamLimiter } from '../../transports/streamLimiter.ts';
import { closeCodes } from '../../transports/websocket.ts';
import { checkMessage, maxMessages } from './chatMessage.ts';

/** A message is a few words of JSON; anything near this is not a chat message. */
const maxPayload = 4 * 1024;

/**
 * `/api/labs/duplex/ws`: a WebSocket that carries many small messages both ways, as a chat
 * with live typing or a voice session does. The page sends `{"type":"say","index":n,"text":"…"}`
 * as often as it likes; the server answers each with `{"type":"echo","index":n,"text":"…"}` at
 * once, on the same connection. `{"type":"end"}` gets `{"type":"done","messages":n}` and a close
 * 1000. A bad message gets `{"type":"error"}` and close 1003 (binary), 1007 (not JSON) or 1008.
 *
 * The session keeps no timer: it only ever answers, so closing the socket leaves nothing behind.
 */
export function chatSocket({ limiter, allowedOrigins = [] }: { limiter: StreamLimiter; allowedOrigins?: readonly string[] }) {
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => session(ws, req, limiter));
  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      if (!originAllowed(req.headers, allowedOrigins)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    close(): void {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

function session(ws: WebSocket, req: IncomingMessage, limiter: StreamLimiter): void {
  let release: (() => void) | undefined;
  ws.on('error', () => ws.terminate());
  ws.on('close', () => release?.());
  try {
    release = limiter.acquire(req.socket.remoteAddress);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    // 1013: Try Again Later (the IANA registry of close codes).
    return void ws.close(1013, 'too many streams from this address');
  }
  let messages = 0;
  const fail = (code: number, detail: string): void => {
    send(ws, { type: 'error', code, detail });
    ws.close(code, detail.slice(0, 100));
  };
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return fail(closeCodes.unsupportedData, 'Binary messages are not supported; send JSON text.');
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return fail(closeCodes.invalidPayload, 'The message is not valid JSON.');
    }
    try {
      const message = checkMessage(parsed, ['say', 'end']);
      if (message.type === 'end') {
        send(ws, { type: 'done', messages });
        return void ws.close(closeCodes.normal, 'done');
      }
      if (++messages > maxMessages) return fail(closeCodes.policyViolation, `At most ${maxMessages} messages per connection.`);
      send(ws, { type: 'echo', index: message.index, text: message.text });
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      fail(closeCodes.policyViolation, error.detail);
    }
  });
}

function send(ws: WebSocket, message: object): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}
