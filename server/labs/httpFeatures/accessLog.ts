import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { identityOf } from './auth.ts';
import type { Identity } from './sessions.ts';
import type { AccessLogEntry } from '../../../shared/accessLog.ts';

export interface AccessLogOptions {
  /** Entries kept for a page that opens the log stream. @default 200 */
  size?: number;
  /** Where each line is printed; `null`: nowhere. @default console.log */
  print?: ((line: string) => void) | null;
}

/**
 * An access log like nginx's or morgan's: one line per HTTP request, written when its response
 * ends, so an SSE stream shows up once it is over, with its whole duration. WebSocket
 * handshakes never pass through Express middleware: `logUpgrade` is the separate hook the
 * server's `'upgrade'` listener must call, and the messages after the handshake reach no log.
 */
export class AccessLog {
  readonly #entries: AccessLogEntry[] = [];
  readonly #listeners = new Set<(entry: AccessLogEntry) => void>();
  readonly #size: number;
  readonly #print: ((line: string) => void) | null;
  #seq = 0;

  constructor({ size = 200, print = console.log }: AccessLogOptions = {}) {
    this.#size = size;
    this.#print = print;
  }

  /** The last `size` entries, oldest first. */
  get entries(): readonly AccessLogEntry[] {
    return this.#entries;
  }

  /** Calls `listener` with every entry from now on; returns the function that stops it. */
  subscribe(listener: (entry: AccessLogEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  record(entry: Omit<AccessLogEntry, 'seq' | 't'>): AccessLogEntry {
    const full: AccessLogEntry = { seq: ++this.#seq, t: Date.now(), ...entry };
    this.#entries.push(full);
    if (this.#entries.length > this.#size) this.#entries.shift();
    this.#print?.(formatEntry(full));
    for (const listener of this.#listeners) listener(full);
    return full;
  }

  /**
   * Middleware that logs each request when its response closes. Mount it after `identify`,
   * whose verdict it records. Bytes are counted on the socket, as nginx's `$bytes_sent`.
   */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = performance.now();
      const socket = req.socket;
      const before = socket.bytesWritten;
      res.once('close', () => {
        const identity = identityOf(res);
        this.record({
          kind: 'http',
          method: req.method,
          path: pathOf(req.originalUrl),
          status: res.statusCode,
          bytes: socket.bytesWritten - before,
          ms: Math.round(performance.now() - started),
          auth: identity.method,
          cookie: identity.cookie,
          completed: res.writableFinished,
        });
      });
      next();
    };
  }

  /** Logs a WebSocket handshake. Call it from the server's `'upgrade'` listener, with who the request is. */
  logUpgrade(req: IncomingMessage, identity: Identity): AccessLogEntry {
    return this.record({
      kind: 'upgrade',
      method: req.method ?? 'GET',
      path: pathOf(req.url ?? '/'),
      status: null,
      bytes: null,
      ms: null,
      auth: identity.method,
      cookie: identity.cookie,
      completed: true,
    });
  }
}

/** One compact line for the server's terminal. */
export function formatEntry(entry: AccessLogEntry): string {
  const time = new Date(entry.t).toISOString().slice(11, 23);
  const cookie = entry.cookie ? ' cookie' : '';
  if (entry.kind === 'upgrade') {
    return `${time} access ${entry.method} ${entry.path} upgrade auth=${entry.auth}${cookie} (the WebSocket messages after the handshake are not logged)`;
  }
  const closed = entry.completed ? '' : ' (client closed)';
  return `${time} access ${entry.method} ${entry.path} ${entry.status} ${entry.bytes}B ${entry.ms}ms auth=${entry.auth}${cookie}${closed}`;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
