/**
 * The one writer of `text/event-stream` on this server: every event stream (the reply
 * transports, the OpenAI- and Anthropic-style streams, the wire tap, the follow channel, the
 * access log, the load-balancer state) formats its events, `retry:` hints and keep-alive
 * comments here and opens its head here, so a fix to the format is one fix (better-sse keeps
 * the same split: `EventBuffer` formats, `Session` owns keep-alive and retry).
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { Problem } from '../problem.ts';
import { sseHeaders } from './sseHeaders.ts';

/** One event's fields, written in this order: `id`, `event`, then `data` (one line per line of text). */
export interface SseFields {
  id?: string | number;
  event?: string;
  /** A string is sent as it is (each line its own `data:` field); anything else as JSON. */
  data: unknown;
}

/**
 * One event as bytes. JSON data never holds a raw CR or LF (JSON escapes them), so it stays one
 * `data:` line; a string with line breaks becomes one `data:` line per line, which a reader
 * joins back with LF.
 */
export function sseEvent({ id, event, data }: SseFields): string {
  let text = '';
  if (id !== undefined) text += `id: ${id}\n`;
  if (event !== undefined) text += `event: ${event}\n`;
  const lines = typeof data === 'string' ? data.split(/\r\n|\r|\n/) : [JSON.stringify(data)];
  for (const line of lines) text += `data: ${line}\n`;
  return `${text}\n`;
}

/** The filler of a padding comment: printable ASCII, the same every time (same settings, same bytes). */
export const padFiller = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(29);

/**
 * One event (ending in its dispatching blank line) padded to a multiple of `pad` bytes with one
 * comment line, `: ` and filler, placed before the blank line: readers ignore it, but it travels
 * in the same write, so the TLS record that carries the event is a multiple of `pad` too, and its
 * size no longer tells the token's length. When fewer than 3 bytes (the `: ` and its LF) would
 * remain to the next multiple, it pads to the one after. `pad` 0 returns the event as it is.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export function padEvent(event: string, pad: number): string {
  if (pad === 0) return event;
  const length = Buffer.byteLength(event);
  let missing = (pad - (length % pad)) % pad;
  if (missing < 3) missing += pad;
  return `${event.slice(0, -1)}: ${padFiller.slice(0, missing - 3)}\n\n`;
}

/** The reconnection hint: EventSource waits this many ms before it reconnects. */
export function sseRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}

/** A comment line: readers ignore it; proxies see traffic. */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}

/**
 * The last event id a reconnecting client sends (EventSource does so on its own), as a whole
 * number below `below`; `undefined` when absent or empty. A value that is not one is a 400
 * naming the header.
 */
export function lastEventId(headers: IncomingHttpHeaders, below = Number.MAX_SAFE_INTEGER): number | undefined {
  const header = headers['last-event-id'];
  if (header === undefined || header === '') return undefined;
  const n = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : NaN;
  if (!Number.isSafeInteger(n) || n >= below) {
    throw new Problem(400, `Header "Last-Event-ID" must be a token index from 0 to ${below - 1}; got ${JSON.stringify(header)}.`, 'Last-Event-ID');
  }
  return n;
}

/** Where a stream's bytes go: the response itself, or (in the faults lab) something slow or compressing in front of it. */
export interface EventSink {
  /**
   * Writes a piece of the stream (text, or bytes already encoded: a broadcast writes one Buffer to
   * every follower); resolves when the next may follow (for a fault: once it is out).
   */
  write(text: string | Uint8Array): Promise<void>;
  /** Ends the response after the last write, with `last` written first when given (in the same write). */
  end(last?: string | Uint8Array): void;
}

/** A sink over a Writable: each write resolves when the Writable calls back. */
export function writableSink(writable: Writable): EventSink {
  return {
    write: (text) => new Promise((resolve) => writable.write(text, () => resolve())),
    end: (last) => writable.end(last),
  };
}

/** Writes straight to the response; each write resolves at once, or once a full buffer drains (a slow reader slows the writer). */
export function responseSink(res: ServerResponse): EventSink {
  return { write: (text) => send(res, text), end: (last) => res.end(last) };
}

/**
 * Writes straight to the response and resolves at once, full buffer or not: for streams that
 * watch `behind()` and drop or coalesce themselves (the tap, the access log, the lab state), so
 * a backlog never gathers a listener per write.
 */
export function directSink(res: ServerResponse): EventSink {
  return {
    write: (text) => {
      if (!res.destroyed && !res.writableEnded) res.write(text);
      return Promise.resolve();
    },
    end: (last) => res.end(last),
  };
}

/**
 * Writes and waits while the socket's buffer is full, so a slow reader slows the stream
 * instead of growing the server's memory. Resolves at once on a closed response.
 */
export function send(res: ServerResponse, text: string | Uint8Array): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  if (res.write(text)) return Promise.resolve();
  return drained(res);
}

/** Resolves on the stream's next `drain`, or when it closes (then nothing will drain). */
export function drained(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const go = (): void => {
      stream.off('drain', go);
      stream.off('close', go);
      resolve();
    };
    stream.on('drain', go);
    stream.on('close', go);
  });
}

export interface EventStreamOptions {
  /** The `retry:` hint written right after the head, in ms; none when absent. */
  retryMs?: number;
  /**
   * A keep-alive comment after `ms` of quiet (`quiet`, the default: restarted by every write), or
   * every `ms` whatever else is sent (`interval`). `ms` 0: none. @default none
   */
  keepAlive?: { ms: number; comment?: string; every?: 'quiet' | 'interval' };
  /** Sends the head on its own at once, before the first event (a client sees the 200 while the body waits). @default true */
  flushHead?: boolean;
  /** Where the body goes. @default the response, waiting while its buffer is full */
  sink?: EventSink;
  /** Block size token events are padded to (`sendToken`, `padEvent`); 0: none (the `pad` reply setting). @default 0 */
  pad?: number;
}

/**
 * One open event stream over one response: the head (the frozen `sseHeaders`), the `retry:`
 * hint, events, keep-alive comments, and a close that clears every timer. Slow readers: `send`
 * resolves once the sink takes more (a reply stream awaits it, and slows), and `behind(bytes)`
 * tells a stream that drops or coalesces (the tap, the access log, the lab state) that the
 * reader has fallen that far behind.
 */
export class EventStream {
  readonly res: ServerResponse;
  readonly #sink: EventSink;
  readonly #pad: number;
  readonly #keepAlive: Required<NonNullable<EventStreamOptions['keepAlive']>> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Writes the head and the `retry:` hint (in one write with `first`, the events a stream opens with). */
  constructor(
    res: ServerResponse,
    { retryMs, keepAlive, flushHead = true, sink = responseSink(res), pad = 0 }: EventStreamOptions = {},
    first: readonly string[] = [],
  ) {
    this.res = res;
    this.#sink = sink;
    this.#pad = pad;
    this.#keepAlive = keepAlive && keepAlive.ms > 0 ? { comment: 'keep-alive', every: 'quiet', ...keepAlive } : undefined;
    res.once('close', () => this.#stopKeepAlive());
    res.writeHead(200, sseHeaders);
    if (flushHead) res.flushHeaders();
    const opening = (retryMs === undefined ? '' : sseRetry(retryMs)) + first.join('');
    this.opened = opening === '' ? Promise.resolve() : sink.write(opening);
    this.#startKeepAlive();
  }

  /** Resolves once the opening bytes are taken. */
  readonly opened: Promise<void>;

  /**
   * Sends one event (fields, or text already formatted by `sseEvent`, or that text encoded once as
   * bytes for many streams); restarts the quiet before a keep-alive.
   */
  send(event: SseFields | string | Uint8Array): Promise<void> {
    const written = this.#sink.write(typeof event === 'string' || event instanceof Uint8Array ? event : sseEvent(event));
    // The quiet starts once the event is out (a throttled sink may take a while to take it).
    return this.#keepAlive?.every === 'quiet' ? written.then(() => this.#startKeepAlive()) : written;
  }

  /** Sends one event that carries a token, padded to the stream's `pad` (`padEvent`). */
  sendToken(event: SseFields | string): Promise<void> {
    return this.send(padEvent(typeof event === 'string' ? event : sseEvent(event), this.#pad));
  }

  /** True when more than `bytes` wait in the response's buffer: the reader is that far behind. */
  behind(bytes: number): boolean {
    return this.res.writableLength > bytes;
  }

  /** True when the response is closed or ended: nothing more will reach the reader. */
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Stops the keep-alive timer (before a cut, so nothing is written after the last event). */
  stopKeepAlive(): void {
    this.#stopKeepAlive();
  }

  /** Ends the response after what was sent. */
  end(): void {
    this.#stopKeepAlive();
    this.#sink.end();
  }

  /**
   * Ends the response with a last event, in the same write: on HTTP/1.1 the event and the final
   * `0` chunk leave together. Over HTTP/2, Node still sends END_STREAM in an empty DATA frame once
   * that write is out, so a page that closes its EventSource the moment the event arrives can reset
   * the stream first (the page's own client waits for the end: `client/src/transports/sse.ts`).
   * The bytes are the same as `send` then `end`.
   */
  endWith(event: string): void {
    this.#stopKeepAlive();
    this.#sink.end(event);
  }

  #startKeepAlive(): void {
    const keepAlive = this.#keepAlive;
    if (!keepAlive || this.closed) return;
    if (keepAlive.every === 'interval') {
      this.#timer ??= setInterval(() => void this.#sink.write(sseComment(keepAlive.comment)), keepAlive.ms);
      return;
    }
    // One timer for the stream's life, re-armed in place: a token per 50 ms per stream would
    // otherwise allocate and cancel a timer each (what the capacity profile showed).
    if (this.#timer) return void this.#timer.refresh();
    this.#timer = setTimeout(() => {
      // Through the sink, so it queues behind a half-written event instead of cutting into it.
      void this.#sink.write(sseComment(keepAlive.comment));
      this.#timer?.refresh();
    }, keepAlive.ms);
  }

  #stopKeepAlive(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
