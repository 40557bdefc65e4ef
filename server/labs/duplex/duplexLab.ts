import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type express from 'express';
import type { TransportContext } from '../../transports/transport.ts';
import { websocketTransport } from '../../transports/websocket.ts';
import { runOf, type WireTap } from '../../wiretap/wireTap.ts';
import { chatSocket } from './chatSocket.ts';
import { duplexPaths, duplexRoutes } from './duplexRoutes.ts';

/**
 * The "when a WebSocket wins" lab: its HTTP routes and its two WebSockets (the chat that carries
 * many small messages both ways, and the reply that a `stop` message ends), ready for `startLabs`.
 */
export function duplexLab({ allowedOrigins = [] }: { allowedOrigins?: readonly string[] } = {}) {
  let sockets: { path: string; handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void; close(): void }[] = [];
  return {
    routes(app: express.Express, ctx: TransportContext): void {
      sockets = [
        { path: duplexPaths.chatSocket, ...chatSocket({ limiter: ctx.limiter, allowedOrigins }) },
        { path: duplexPaths.stopSocket, ...websocketTransport(ctx, { allowedOrigins }) },
      ];
      app.use(duplexRoutes(ctx));
    },
    /** Takes the upgrade if it is for one of the lab's sockets. */
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, tap: WireTap): boolean {
      const url = req.url ?? '';
      const target = sockets.find((s) => url === s.path || url.startsWith(`${s.path}?`));
      if (!target) return false;
      tap.assign(req, null, runOf(url));
      target.handleUpgrade(req, socket, head);
      return true;
    },
    close(): void {
      for (const s of sockets) s.close();
    },
  };
}
