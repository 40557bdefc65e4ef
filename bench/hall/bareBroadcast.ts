/**
 * The hall's baseline: what a plain `node:http` server needs to fan the presenter's batches out
 * to every follower in the same bytes as Streamscope's broadcast follow (`GET` and `POST
 * /api/follow/run`, `GET /api/follow/me`): the body parsed and written once as an event, then
 * that string written to each follower. No framework, no wire tap, no run kept for late joiners,
 * no caps, no slow-reader handling, no checks beyond the presenter's token.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { sseHeaders } from '../../server/sse/sseHeaders.ts';
import { sseEvent } from '../../server/sse/eventStream.ts';
import { broadcastPath, type BroadcastBatch } from '../../shared/broadcast.ts';

export function bareBroadcastServer(token: string): Server {
  const watchers = new Set<ServerResponse>();
  let run: string | null = null;
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === broadcastPath) {
      res.writeHead(200, sseHeaders);
      res.write('retry: 1000\n\n');
      watchers.add(res);
      res.on('close', () => watchers.delete(res));
      return;
    }
    if (req.method === 'GET' && path === '/api/follow/me')
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ watching: watchers.size }));
    if (req.method === 'POST' && path === broadcastPath) {
      if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(403).end();
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const batch = JSON.parse(Buffer.concat(chunks).toString()) as BroadcastBatch;
        let text = sseEvent({ event: 'batch', data: { run: batch.run, seq: batch.seq, sentAt: batch.sentAt, records: batch.records } });
        if (batch.run !== run) {
          run = batch.run;
          text = sseEvent({ event: 'run', data: { run } }) + text;
        }
        for (const watcher of watchers) watcher.write(text);
        res.writeHead(204).end();
      });
      return;
    }
    res.writeHead(404).end();
  });
}
