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
 * HTTP/1.1 connections (ALPN `http/1.1`, or none) go to an `http.Server` of their own rather than
 * the HTTP/2 server's built-in fallback, which never times out a request: so a client that sends
 * its head or body too slowly gets the plain port's `408` after the same `headersTimeout` and
 * `requestTimeout` (slowloris), from Node's own checks.
 *
 * WebSocket needs HTTP/1.1's Upgrade: a client that speaks h2 cannot open one on this port
 * (browsers then use a separate HTTP/1.1 connection; RFC 8441's extended CONNECT is not served).
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import {
  constants as h2constants,
  createSecureServer,
  Http2ServerRequest,
  Http2ServerResponse,
  type Http2SecureServer,
  type ServerHttp2Session,
} from 'node:http2';
import { createServer as createHttp1Server, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TLSSocket, createSecureContext } from 'node:tls';
import type express from 'express';
import { runOf, type WireTap } from '../wiretap/wireTap.ts';
import { PassThroughSocket } from './passThroughSocket.ts';
import { goawayWatch } from './goawayWatch.ts';
import { failWritesDuringShutdown } from './shutdownGuard.ts';

export interface HttpsServerOptions {
  /** PEM certificate (and chain) and key. */
  cert: string;
  key: string;
  /** The largest request head (HTTP/1.1) or header list (HTTP/2) accepted, in bytes. */
  maxHeaderSize: number;
  /** ms a TLS handshake may take before the connection is closed. @default 10000 */
  handshakeTimeoutMs?: number;
  /**
   * HTTP/1.1 connections: ms to receive a request's head, and its whole request, before a `408`
   * (`http.Server`'s `headersTimeout`, `requestTimeout`), checked every `checkIntervalMs`.
   * @default the plain server's (Node's defaults: 60 s, 300 s), checked every 30 s
   */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  checkIntervalMs?: number;
}

export interface HttpsServer {
  /** The TCP listener, not yet listening: `main.ts` binds it, tests use port 0. */
  server: NetServer;
  /** The HTTP/2 server the decrypted h2 connections are handed to. */
  http: Http2SecureServer;
  /** The HTTP/1.1 server the other decrypted connections are handed to. */
  http1: Server;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/**
 * Serves `app` over TLS. `plain` is the app's HTTP server: WebSocket upgrades and malformed
 * HTTP/1.1 requests on this port are handed to its listeners, so they behave as on the plain port.
 */
export function createHttpsServer(
  { app, server: plain, tap }: { app: express.Express; server: Server; tap: WireTap },
  {
    cert,
    key,
    maxHeaderSize,
    handshakeTimeoutMs = 10_000,
    headersTimeoutMs = plain.headersTimeout,
    requestTimeoutMs = plain.requestTimeout,
    checkIntervalMs = 30_000,
  }: HttpsServerOptions,
): HttpsServer {
  const secureContext = createSecureContext({ cert, key });
  const http = createSecureServer(
    // 100 streams at once per connection, the least RFC 9113 §6.5.2 recommends (Node offers no
    // limit by default): the 101st gets RST_STREAM REFUSED_STREAM (§8.7), the client may retry it.
    { allowHTTP1: true, cert, key, settings: { maxHeaderListSize: maxHeaderSize, maxConcurrentStreams }, maxSessionMemory: 64 },
    expressForBoth(app) as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
  );
  http.prependListener('request', (req: Http2ServerRequest, res: Http2ServerResponse) =>
    tap.assign(req as unknown as IncomingMessage, res as unknown as ServerResponse, runOf(req.url)),
  );
  http.on('sessionError', () => {});
  const http1 = createHttp1Server(
    { maxHeaderSize, headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: checkIntervalMs },
    app,
  );
  http1.keepAliveTimeout = plain.keepAliveTimeout;
  // It never listens (connections are handed to it), but Node starts the headers and request
  // timeout checks on 'listening' (http.Server's setupConnectionsTracking): start them.
  http1.emit('listening');
  http1.prependListener('request', (req, res) => tap.assign(req, res, runOf(req.url)));
  http1.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => plain.emit('upgrade', req, socket, head));
  http1.on('clientError', (error: Error, socket: Socket) => plain.emit('clientError', error, socket));
  // An HTTP/2 session wraps the plaintext stream in a socket of Node's own, whose addresses are
  // unknown, and its requests' `req.socket` reaches that socket: give it the TCP connection's
  // addresses (the stream limiter, the classroom guard and the labs read them) and the tap's mark.
  let handing: PassThroughSocket | undefined;
  http.on('session', (session) => {
    goawayWithTheRightCode(session);
    failWritesDuringShutdown(session.socket);
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
    const wire = new PassThroughSocket(tcp, tcp);
    // A plain HTTP request on this port (http://…:3443) gets an answer it can read, not a silent close.
    wire.intercept = (chunk) => {
      wire.intercept = undefined;
      const answer = plainHttpAnswer(chunk, (plain.address() as { port?: number } | null)?.port);
      if (answer === null) return false;
      tcp.end(answer);
      return true;
    };
    const tls = new TLSSocket(wire, { isServer: true, secureContext, ALPNProtocols: ['h2', 'http/1.1'] });
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
      plaintext.on('error', () => tcp.destroy());
      const h2 = tls.alpnProtocol === 'h2';
      tap.attach(plaintext as unknown as Socket, { over: tcp, protocol: h2 ? 'h2' : 'http/1.1' });
      if (!h2) {
        plaintext.server = http1;
        http1.emit('connection', plaintext);
        return;
      }
      plaintext.server = http;
      // A GOAWAY for a connection error ends the connection (RFC 9113 §5.4.1): TLS's close_notify,
      // then the TCP connection, at once if the client does not close its side within a second.
      plaintext.onWrite = goawayWatch(() => {
        setImmediate(() => tls.end());
        const linger = setTimeout(() => tcp.destroy(), 1000);
        tcp.once('close', () => clearTimeout(linger));
      });
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
    http1,
    close: () =>
      new Promise<void>((resolve) => {
        // Never listening: this only stops its timeout checks.
        http1.close(() => {});
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * The answer to a plain HTTP/1.x request sent to the TLS port (its first bytes are a request
 * line, where a TLS client's are a handshake record, 0x16): a 400 problem that names the https://
 * URL and the plain port, as nginx answers "The plain HTTP request was sent to HTTPS port".
 * `null` for anything else (TLS, or bytes TLS will refuse).
 */
export function plainHttpAnswer(first: Buffer, plainPort: number | undefined): string | null {
  // A request line starts with a method in capitals; a TLS record with its content type (0x14–0x17).
  if (!(first[0]! >= 0x41 && first[0]! <= 0x5a)) return null;
  const head = first.subarray(0, 8192).toString('latin1');
  const line = /^([A-Z]{3,10}) (\S+) HTTP\/1\.[01]\r?\n/.exec(head);
  if (!line) return null;
  const host = /\r?\nhost:[ \t]*([A-Za-z0-9.:[\]-]{1,255})[ \t]*\r?\n/i.exec(head)?.[1];
  const target = line[2]!.startsWith('/') ? line[2]! : '/';
  const where = host ? `https://${host}${target}` : 'https://';
  const plainNote = plainPort === undefined ? '' : `, or plain HTTP on port ${plainPort}`;
  const body = JSON.stringify({
    type: 'about:blank',
    title: 'Bad Request',
    status: 400,
    detail: `This port speaks HTTPS: the request came as plain HTTP. Ask for ${where}${plainNote}.`,
  });
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Streams one HTTP/2 connection may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`). */
export const maxConcurrentStreams = 100;

/**
 * The GOAWAY error code RFC 9113 gives each connection error that nghttp2 hands back to Node
 * rather than answering itself (it answers an oversized frame, a bad SETTINGS or PING length and
 * a DATA frame on stream 0 with the right code already). Node ends the session for these with
 * INTERNAL_ERROR, which blames the server; the right code tells the client what it did wrong.
 * Keys are nghttp2's error numbers (`NghttpError.errno`).
 */
const goawayCodes = new Map<number, number>([
  // NGHTTP2_ERR_PROTO (a HEADERS frame or WINDOW_UPDATE of 0 on stream 0…): §5.4.1, §6.2, §6.9
  [-505, h2constants.NGHTTP2_PROTOCOL_ERROR],
  // NGHTTP2_ERR_BAD_CLIENT_MAGIC: not the connection preface, §3.4
  [-903, h2constants.NGHTTP2_PROTOCOL_ERROR],
  // NGHTTP2_ERR_SETTINGS_EXPECTED: the preface not followed by SETTINGS, §3.4
  [-536, h2constants.NGHTTP2_PROTOCOL_ERROR],
  // NGHTTP2_ERR_FLOODED: SETTINGS or PING sent faster than their ACKs can be read, §10.5
  [-904, h2constants.NGHTTP2_ENHANCE_YOUR_CALM],
  [-522, h2constants.NGHTTP2_FRAME_SIZE_ERROR],
  [-523, h2constants.NGHTTP2_COMPRESSION_ERROR],
  [-524, h2constants.NGHTTP2_FLOW_CONTROL_ERROR],
]);

/** Makes the session's GOAWAY carry the code `goawayCodes` gives nghttp2's error, when Node would send INTERNAL_ERROR. */
function goawayWithTheRightCode(session: ServerHttp2Session): void {
  const destroy = session.destroy.bind(session);
  session.destroy = (error?: Error, code?: number): void => {
    const { errno, code: name } = (error ?? {}) as { errno?: unknown; code?: unknown };
    // Node's own limit on refused and invalid frames (`maxSessionInvalidFrames`): a flood, §10.5.
    const flood = name === 'ERR_HTTP2_TOO_MANY_INVALID_FRAMES' ? h2constants.NGHTTP2_ENHANCE_YOUR_CALM : undefined;
    destroy(error, code ?? flood ?? (typeof errno === 'number' ? goawayCodes.get(errno) : undefined));
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
