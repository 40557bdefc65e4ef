/**
 * The SSE baseline: what a plain `node:http` server needs to stream the same reply in the same
 * bytes as Streamscope's `/api/stream/sse` (same head, `retry:`, events and `done`), with no
 * framework, no wire tap, no stream cap and no backpressure handling.
 */
import { createServer, type Server } from 'node:http';
import { paced, replyFor, summarize } from '../../server/model/reply.ts';
import { parseSettings } from '../../server/model/settings.ts';
import { sseHeaders } from '../../server/sse/sseHeaders.ts';
import { sseDoneEvent, sseTokenEvent } from '../../server/transports/sse.ts';

export function bareSseServer(retryMs = 1000): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bench.invalid');
    if (url.pathname !== '/api/stream/sse') return void res.writeHead(404).end();
    const reply = replyFor(parseSettings(Object.fromEntries(url.searchParams)));
    const tokens = paced(reply);
    res.on('close', () => void tokens.return());
    res.writeHead(200, sseHeaders);
    res.flushHeaders();
    res.write(`retry: ${retryMs}\n\n`);
    void (async () => {
      for await (const token of tokens) res.write(sseTokenEvent(token));
      if (res.destroyed) return;
      res.write(sseDoneEvent(summarize(reply)));
      res.end();
    })();
  });
}
