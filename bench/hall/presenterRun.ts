/**
 * The presenter's run the hall benchmark broadcasts: a lesson step with four lanes (SSE, WebSocket,
 * buffered HTTP, OpenAI-style) streaming one reply at a fixed rate, as the presenter's page would
 * publish it (`client/src/run/broadcast.ts`, `RunCursor`): per lane a `conn`, the tap's `wire`
 * records, the page's own `app` events, then `generation` and `close`, and `start`, `clock` and
 * `end` for the run. The bytes are the captured fixtures of the real server
 * (`client/src/wire/fixtures/*.json`), their token events cycled to the reply's length, so each
 * record has the size and shape of the real one. Pure: times are ms after the run's start, and
 * `take()` hands out what is due, like the page's cursor does every 200 ms.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BroadcastRecord } from '../../shared/broadcast.ts';

/** How often the presenter's page publishes (`publishEveryMs` in client/src/run/broadcast.ts). */
export const publishEveryMs = 200;

interface FixtureEvent {
  dir: 'up' | 'down';
  data: string;
  parts?: number[];
}

/**
 * Each lane's captured connection, split where its tokens are: `head` events (request, response
 * head, the first frames), one event per token, then `tail` events (done, close). A lane whose
 * reply arrives whole (buffered HTTP) has no token events: its body is its tail, at the end.
 */
interface LaneShape {
  id: string;
  method: string;
  path: string;
  fixture: string;
  head: number;
  tail: number;
  /** The page's code sees each token as it arrives; buffered HTTP sees them all at the end. */
  streams: boolean;
}

const laneShapes: LaneShape[] = [
  { id: 'sse', method: 'GET', path: '/api/stream/sse', fixture: 'sse', head: 3, tail: 1, streams: true },
  { id: 'ws', method: 'GET', path: '/api/stream/ws', fixture: 'ws', head: 3, tail: 3, streams: true },
  { id: 'http', method: 'GET', path: '/api/stream/http', fixture: 'http', head: 1, tail: 1, streams: false },
  { id: 'openai', method: 'POST', path: '/v1/chat/completions', fixture: 'openai', head: 3, tail: 1, streams: true },
];

/** The lanes of the benchmarked step. */
export const laneIds = laneShapes.map((l) => l.id);

const fixtureDir = path.join(import.meta.dirname, '../../client/src/wire/fixtures');

function loadFixture(name: string): FixtureEvent[] {
  return (JSON.parse(readFileSync(path.join(fixtureDir, `${name}.json`), 'utf8')) as { events: FixtureEvent[] }).events;
}

/** A record and when it happens, ms after the run's start. */
export interface TimedRecord {
  at: number;
  record: BroadcastRecord;
}

export interface PresenterRunOptions {
  id: string;
  /** Tokens per second of every lane. */
  tps: number;
  /** ms from the first token to the last. */
  durationMs: number;
  /** Time 0 of the run on the presenter's clock (ms since epoch): records carry absolute times like the real ones. */
  startedAt: number;
  /** The fixtures; tests pass their own. @default the captured ones */
  fixtures?: Record<string, FixtureEvent[]>;
}

/** Every record of the run in time order (stable for records at the same time). */
export function presenterRecords({ id, tps, durationMs, startedAt, fixtures }: PresenterRunOptions): TimedRecord[] {
  const tokens = Math.round((durationMs * tps) / 1000) + 1;
  const lastAt = ((tokens - 1) * 1000) / tps;
  const timed: TimedRecord[] = [
    { at: 0, record: { type: 'start', id, settings: { prompt: 'hall', tps, ttft: 0, jitter: 0, seed: 1 }, lanes: laneIds, startedAt } },
    { at: 0, record: { type: 'clock', offset: 0.4, offsetUncertainty: 2.7 } },
  ];
  laneShapes.forEach((shape, laneIndex) => {
    const lane = shape.id;
    const events = fixtures?.[shape.fixture] ?? loadFixture(shape.fixture);
    const head = events.slice(0, shape.head);
    const middle = events.slice(shape.head, events.length - shape.tail);
    const tail = events.slice(events.length - shape.tail);
    const conn = laneIndex + 1;
    const t = (at: number): number => startedAt + at;
    const wire = (at: number, event: FixtureEvent): TimedRecord => ({
      at,
      record: { type: 'wire', lane, t: t(at), conn, dir: event.dir, data: event.data, ...(event.parts ? { parts: event.parts } : {}) },
    });
    const app = (at: number, event: { kind: string; index?: number; text?: string }): TimedRecord => ({
      at,
      record: { type: 'app', lane, event: { ...event, t: t(at) } },
    });
    timed.push(
      app(0, { kind: 'request' }),
      {
        at: 0,
        record: {
          type: 'conn',
          lane,
          info: {
            conn,
            method: shape.method,
            path: `${shape.path}?run=${id}`,
            remoteAddress: '127.0.0.1',
            remotePort: 40000 + conn,
            localPort: 8080,
            opened: t(0),
          },
        },
      },
      ...head.map((event) => wire(0, event)),
    );
    if (shape.streams) timed.push(app(0, { kind: 'open' }));
    for (let i = 0; i < tokens; i++) {
      const at = (i * 1000) / tps;
      if (middle.length) timed.push(wire(at, middle[i % middle.length]!));
      if (shape.streams) timed.push(app(at, { kind: 'token', index: i, text: ` token${i}` }));
    }
    timed.push(...tail.map((event) => wire(lastAt, event)));
    if (!shape.streams) {
      timed.push(app(lastAt, { kind: 'open' }));
      for (let i = 0; i < tokens; i++) timed.push(app(lastAt, { kind: 'token', index: i, text: ` token${i}` }));
    }
    timed.push(
      app(lastAt, { kind: 'done' }),
      { at: lastAt, record: { type: 'generation', lane, record: { conn, t: t(lastAt), from: 0, generated: tokens, of: tokens, reason: 'complete' } } },
      { at: lastAt, record: { type: 'close', lane, conn, t: t(lastAt) } },
    );
  });
  timed.push({ at: lastAt, record: { type: 'end' } });
  // Stable: records at the same time keep the order a lane made them in.
  return timed
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.at - b.r.at || a.i - b.i)
    .map(({ r }) => r);
}

/** Hands out the run's records as they fall due, the way the presenter page's cursor does. */
export class PresenterCursor {
  readonly #records: TimedRecord[];
  #next = 0;

  constructor(records: TimedRecord[]) {
    this.#records = records;
  }

  /** Every record has been taken. */
  get done(): boolean {
    return this.#next >= this.#records.length;
  }

  /** The records due at or before `at` (ms after the run's start) not taken yet. */
  take(at: number): BroadcastRecord[] {
    const taken: BroadcastRecord[] = [];
    while (this.#next < this.#records.length && this.#records[this.#next]!.at <= at) taken.push(this.#records[this.#next++]!.record);
    return taken;
  }
}
