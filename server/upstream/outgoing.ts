import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import type { OutgoingConnection, WireTap } from '../wiretap/wireTap.ts';

/**
 * One HTTP request Streamscope sends as a client (to an upstream model, or to a URL it inspects),
 * on a connection of its own (no pool: nothing stays open after it) that the wire tap records.
 */
export interface OutgoingRequest {
  url: URL;
  method: string;
  headers: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Aborting it destroys the request and its socket at once. */
  signal: AbortSignal;
  /** Records the connection in the wire tap (its leg, run and owner). */
  tap?: { tap: WireTap } & Omit<OutgoingConnection, 'method' | 'path' | 'host'>;
  /** Resolves the host (the inspect route's refuses some addresses). @default the system's */
  lookup?: LookupFunction;
  /** ms to wait for the response head. */
  headTimeoutMs: number;
  /** ms of silence on the socket after which the request is cut. */
  idleTimeoutMs: number;
}

/** Why an outgoing request failed before its head: a timeout or a connection error, in words. */
export class OutgoingError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Sends the request; resolves with the response once its head is in. */
export function sendOutgoing(request: OutgoingRequest): Promise<IncomingMessage> {
  const { url, tap } = request;
  const secure = url.protocol === 'https:';
  const host = `${url.hostname}:${url.port || (secure ? 443 : 80)}`;
  const path = `${url.pathname}${url.search}`;
  // An agent of its own per request: its createConnection hands the new socket to the tap before anything is written.
  const Agent = secure ? https.Agent : http.Agent;
  const agent = new (class extends Agent {
    override createConnection(...args: Parameters<http.Agent['createConnection']>): ReturnType<http.Agent['createConnection']> {
      const socket = super.createConnection(...args) as Socket;
      if (tap) tap.tap.attachOutgoing(socket, { leg: tap.leg, run: tap.run, owner: tap.owner, conceal: tap.conceal, method: request.method, path, host });
      return socket;
    }
  })({ keepAlive: false });
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(url, {
      method: request.method,
      headers: request.headers,
      agent,
      signal: request.signal,
      ...(request.lookup ? { lookup: request.lookup } : {}),
    });
    const headTimer = setTimeout(() => req.destroy(new OutgoingError(504, `no response head within ${request.headTimeoutMs / 1000} s`)), request.headTimeoutMs);
    req.setTimeout(request.idleTimeoutMs, () => req.destroy(new OutgoingError(504, `nothing for ${request.idleTimeoutMs / 1000} s`)));
    req.on('response', (res) => {
      clearTimeout(headTimer);
      resolve(res);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(headTimer);
      reject(error instanceof OutgoingError ? error : new OutgoingError(502, connectionProblem(error, host)));
    });
    req.on('close', () => clearTimeout(headTimer));
    req.end(request.body);
  });
}

/** A connection error in words a person can act on (never the request's headers). */
function connectionProblem(error: NodeJS.ErrnoException, host: string): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `nothing listens at ${host} (connection refused)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the name ${host.replace(/:\d+$/, '')} does not resolve`;
    case 'ECONNRESET':
      return `${host} closed the connection`;
    case 'ABORT_ERR':
      return 'the request was aborted';
    default:
      return error.code ? `${error.code}: ${error.message}` : error.message;
  }
}

/** Reads at most `limit` bytes of a (short, error) body as text; gives up after `ms`. */
export async function readSome(res: IncomingMessage, limit = 64 * 1024, ms = 5000): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => res.destroy(), ms);
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break;
    }
  } catch {
    // A cut body: what came is what there is.
  } finally {
    clearTimeout(timer);
    res.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
