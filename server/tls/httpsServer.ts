/**
 * The HTTPS port: the same app over TLS, HTTP/2 preferred and HTTP/1.1 as fallback (ALPN).
 *
 * TLS ends here, in JavaScript, where the wire tap can watch both layers: each TCP connection
 * is tapped as TLS records (`layer: 'tls'`), handed through a `PassThroughSocket` to a
 * `TLSSocket`, and the decrypted side, through another `PassThroughSocket`, is tapped as the
 * plaintext and handed to an HTTP/2 server that also speaks HTTP/1.1. Node's own TLS and HTTP/2
 * servers would read the socket natively, where no tap sees the bytes; the price of watching is
 * that every byte crosses JavaScript twice (`bench/tlsCost.ts` measures it).
 *
 * WebSocket needs HTTP/1.1's Upgrade: a client that speaks h2 cannot open one on this port
 * (browsers then use a separate HTTP/1.1 connection; RFC 8441's extended CONNECT is not served).
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createSecureServer, Http2ServerRequest, Http2ServerResponse, type Http2SecureServer } from 'node:http2';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { TLSSocket, createSecureContext } from 'node:tls';
import type express from 'express';
import { runOf, type WireTap } from '../wiretap/wireTap.ts';
import { PassThroughSocket } from './passThroughSocket.ts';

export interface HttpsServerOptions {
  /** PEM certificate (and chain) and key. */
  cert: string;
  key: string;
  /** The largest request head (HTTP/1.1) or header list (HTTP/2) accepted, in bytes. */
  maxHeaderSize: number;
  /** ms a TLS handshake may take before the connection is closed. @default 10000 */
  handshakeTimeoutMs?: number;
}

export interface HttpsServer {
  /** The TCP listener, not yet listening: `main.ts` binds it, tests use port 0. */
  server: NetServer;
  /** The HTTP/2 (and HTTP/1.1) server the decrypted connections are handed to. */
  http: Http2SecureServer;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/**
 * Serves `app` over TLS. `plain` is the app's HTTP server: WebSocket upgrades and malformed
 * HTTP/1.1 requests on this port are handed to its listeners, so they behave as on the plain port.
 */
export function createHttpsServer(
  { app, server: plain, tap }: { app: express.Express; server: Server; tap: WireTap },
  { cert, key, maxHeaderSize, handshakeTimeoutMs = 10_000 }: HttpsServerOptions,
): HttpsServer {
  const secureContext = createSecureContext({ cert, key });
  const http = createSecureServer(
    { allowHTTP1: true, cert, key, settings: { maxHeaderListSize: maxHeaderSize }, maxSessionMemory: 64 },
    expressForBoth(app) as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
  );
  // HTTP/1.1 fallback reads this like http.Server's option.
  (http as unknown as { maxHeaderSize: number }).maxHeaderSize = maxHeaderSize;
  http.prependListener('request', (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse) =>
    tap.assign(req as IncomingMessage, res as ServerResponse, runOf(req.url)),
  );
  http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => plain.emit('upgrade', req, socket, head));
  http.on('clientError', (error: Error, socket: Socket) => plain.emit('clientError', error, socket));
  http.on('sessionError', () => {});
  // An HTTP/2 session wraps the plaintext stream in a socket of Node's own, whose addresses are
  // unknown, and its requests' `req.socket` reaches that socket: give it the TCP connection's
  // addresses (the stream limiter, the classroom guard and the labs read them) and the tap's mark.
  let handing: PassThroughSocket | undefined;
  http.on('session', (session) => {
    if (!handing) return;
    const from = handing;
    // A proxy: what is set on it lands on the socket the session reads.
    const socket = session.socket as unknown as Record<PropertyKey, unknown>;
    socket._peername = { address: from.remoteAddress, port: from.remotePort, family: from.remoteFamily };
    socket._getsockname = () => ({ address: from.localAddress, port: from.localPort, family: from.remoteFamily });
    socket.encrypted = true;
    tap.alias(socket, from as unknown as Socket);
  });

  const sockets = new Set<Socket>();
  const server = createNetServer((tcp) => {
    sockets.add(tcp);
    tcp.once('close', () => sockets.delete(tcp));
    tcp.on('error', () => tcp.destroy());
    tap.attach(tcp, { layer: 'tls' });
    const tls = new TLSSocket(new PassThroughSocket(tcp, tcp), { isServer: true, secureContext, ALPNProtocols: ['h2', 'http/1.1'] });
    const handshake = setTimeout(() => tcp.destroy(), handshakeTimeoutMs);
    tls.on('error', () => tcp.destroy());
    tls.once('close', () => {
      clearTimeout(handshake);
      tcp.destroy();
    });
    tls.once('secure', () => {
      clearTimeout(handshake);
      const plaintext = new PassThroughSocket(tls, tcp);
      plaintext.encrypted = true;
      plaintext.alpnProtocol = tls.alpnProtocol ?? false;
      plaintext.server = http;
      plaintext.on('error', () => tcp.destroy());
      tap.attach(plaintext as unknown as Socket, { over: tcp, protocol: tls.alpnProtocol === 'h2' ? 'h2' : 'http/1.1' });
      handing = plaintext;
      try {
        http.emit('secureConnection', plaintext);
      } finally {
        handing = undefined;
      }
    });
  });

  return {
    server,
    http,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * The Express app for HTTP/2 requests as well: Express gives each request its own prototypes,
 * made for `http.IncomingMessage`, which would hide `Http2ServerRequest`'s getters (`url`,
 * `headers`…). HTTP/2 requests get the same methods on top of the HTTP/2 prototypes instead.
 */
export function expressForBoth(app: express.Express): (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void {
  const requestMethods = Object.getPrototypeOf(app.request) as object;
  const responseMethods = Object.getPrototypeOf(app.response) as object;
  const h2app = Object.create(app) as express.Express & { handle(req: unknown, res: unknown): void };
  h2app.request = Object.create(Object.create(Http2ServerRequest.prototype, Object.getOwnPropertyDescriptors(requestMethods)), {
    app: { configurable: true, enumerable: true, writable: true, value: app },
  });
  h2app.response = Object.create(Object.create(Http2ServerResponse.prototype, Object.getOwnPropertyDescriptors(responseMethods)), {
    app: { configurable: true, enumerable: true, writable: true, value: app },
  });
  return (req, res) => {
    if (req instanceof Http2ServerRequest) h2app.handle(req as never, res as never);
    else app(req, res as ServerResponse);
  };
}
