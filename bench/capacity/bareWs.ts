/**
 * The WebSocket baseline: a plain `node:http` server with a `ws` server on it that answers a
 * `start` message with the same messages as Streamscope's `/api/stream/ws` (token, done, close
 * 1000), with no Origin check, no stream cap, no pings and no backpressure handling.
 */
import { createServer, type Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { paced, replyFor, summarize } from '../../server/model/reply.ts';
import { parseSettings } from '../../server/model/settings.ts';

export function bareWsServer(): Server {
  const server = createServer((_req, res) => void res.writeHead(404).end());
  // Streamscope's own limit on incoming messages, so both parse the same way.
  const wss = new WebSocketServer({ server, path: '/api/stream/ws', maxPayload: 256 * 1024 });
  wss.on('connection', (ws) => {
    ws.on('error', () => ws.terminate());
    ws.once('message', (data) => {
      const { type: _start, ...settings } = JSON.parse(String(data)) as Record<string, unknown>;
      const reply = replyFor(parseSettings(settings));
      const tokens = paced(reply);
      ws.on('close', () => void tokens.return());
      void (async () => {
        for await (const token of tokens) ws.send(JSON.stringify({ type: 'token', index: token.index, text: token.text }));
        if (ws.readyState !== ws.OPEN) return;
        ws.send(JSON.stringify({ type: 'done', ...summarize(reply) }));
        ws.close(1000, 'done');
      })();
    });
  });
  return server;
}
