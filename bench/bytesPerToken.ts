/**
 * Bytes per token: what each transport puts on the wire for one token, read from the wire tap
 * (the bytes the server really wrote), for short tokens (the default prompt) and long ones (a
 * text of long words). Counted after the response head, so the figure is the framing that
 * grows with the reply: SSE fields and chunk sizes, WebSocket frame headers, JSON around text.
 * The same SSE over HTTP/2 on the HTTPS port: the plaintext frames after the response's HEADERS
 * frame (DATA frame headers, and WINDOW_UPDATE, PING or SETTINGS if any), the TLS records that
 * carry them, and the response head itself, HPACK-compressed, beside HTTP/1.1's.
 */
import http from 'node:http';
import http2 from 'node:http2';
import { once } from 'node:events';
import { createParser } from 'eventsource-parser';
import { WebSocket } from 'ws';
import { replyFor } from '../server/model/reply.ts';
import { parseSettings, settingsQuery } from '../server/model/settings.ts';
import { replyDefaults } from '../shared/replySettings.ts';
import type { TapEvent } from '../shared/tap.ts';
import { format, type Figure, type Log, type SectionResult } from './figures.ts';
import { ratio } from './stats.ts';
import { startTarget } from './capacity/targetProcess.ts';
import { startMessage } from './capacity/workload.ts';

const texts = {
  short: replyFor(parseSettings({ prompt: replyDefaults.prompt })).text,
  // Words o200k keeps whole: about 14 bytes a token.
  long: ' understanding international responsibility communication implementation organization environmental administration representative characteristics relationships infrastructure recommendations opportunities professionals transportation independently configuration documentation acknowledgement'.repeat(
    4,
  ),
};
type Kind = keyof typeof texts;
const transports = ['sse', 'ws', 'http', 'openai'] as const;
type Transport = (typeof transports)[number];

interface Measured {
  transport: Transport;
  kind: Kind;
  tokens: number;
  textBytes: number;
  headBytes: number;
  /** Everything the server wrote after the head. */
  bodyBytes: number;
}

/** SSE over HTTP/2 inside TLS, read from the tap's two layers. */
interface MeasuredH2 {
  kind: Kind;
  tokens: number;
  textBytes: number;
  /** The response's HEADERS frame (9-byte header and HPACK block). */
  headBytes: number;
  /** Plaintext frames the server wrote after it. */
  bodyBytes: number;
  /** TLS records the server wrote after the one carrying the HEADERS frame (record headers and AEAD tags included). */
  tlsBodyBytes: number;
  /** DATA frames after the head, and their payload bytes. */
  dataFrames: number;
  dataBytes: number;
}

export async function bytesPerToken(_config: unknown, log: Log): Promise<SectionResult> {
  const server = await startTarget('streamscope');
  const measured: Measured[] = [];
  const measuredH2: MeasuredH2[] = [];
  try {
    for (const kind of Object.keys(texts) as Kind[]) {
      for (const transport of transports) {
        const result = await measure(server.port, transport, kind);
        measured.push(result);
        log(
          `bytes per token ${transport}, ${kind} tokens: ${format(result.bodyBytes / result.tokens)} B on the wire for ${format(result.textBytes / result.tokens)} B of text (head ${result.headBytes} B)`,
        );
      }
    }
  } finally {
    await server.stop();
  }
  const secure = await startTarget('streamscope-https');
  try {
    for (const kind of Object.keys(texts) as Kind[]) {
      const result = await measureH2(secure.port, secure.tlsPort!, kind);
      measuredH2.push(result);
      log(
        `bytes per token h2, ${kind} tokens: ${format(result.bodyBytes / result.tokens)} B of frames, ${format(result.tlsBodyBytes / result.tokens)} B of TLS records, for ${format(result.textBytes / result.tokens)} B of text (${result.dataFrames} DATA frames; HEADERS frame ${result.headBytes} B)`,
      );
    }
  } finally {
    await secure.stop();
  }
  const sseOf = (kind: Kind): Measured | undefined => measured.find((m) => m.transport === 'sse' && m.kind === kind);
  const h2Figures = measuredH2.flatMap(({ kind, tokens, textBytes, headBytes, bodyBytes, tlsBodyBytes }): Figure[] => {
    const sse = sseOf(kind);
    return [
      {
        section: 'bytes per token',
        name: `sse over HTTP/2, ${kind} tokens: frame bytes per token (after the HEADERS frame)`,
        value: bodyBytes / tokens,
        unit: 'B',
        baseline: sse ? { label: 'sse over HTTP/1.1, chunked', value: sse.bodyBytes / sse.tokens } : { label: 'token text', value: textBytes / tokens },
        ratio: sse ? ratio(bodyBytes, sse.bodyBytes) : ratio(bodyBytes, textBytes),
      },
      {
        section: 'bytes per token',
        name: `sse over HTTP/2 in TLS, ${kind} tokens: TLS record bytes per token`,
        value: tlsBodyBytes / tokens,
        unit: 'B',
        baseline: { label: 'the HTTP/2 frames inside', value: bodyBytes / tokens },
        ratio: ratio(tlsBodyBytes, bodyBytes),
      },
      ...(kind === 'short'
        ? [
            {
              section: 'bytes per token',
              name: 'sse over HTTP/2: response head (HEADERS frame, HPACK)',
              value: headBytes,
              unit: 'B',
              baseline: sse ? { label: 'HTTP/1.1 response head', value: sse.headBytes } : undefined,
              ratio: sse ? ratio(headBytes, sse.headBytes) : null,
            } satisfies Figure,
          ]
        : []),
    ];
  });
  const figures = measured.map(({ transport, kind, tokens, textBytes, bodyBytes }): Figure => ({
    section: 'bytes per token',
    name: `${transport}, ${kind} tokens: wire bytes per token (after the head)`,
    value: bodyBytes / tokens,
    unit: 'B',
    baseline: { label: 'token text', value: textBytes / tokens },
    ratio: ratio(bodyBytes, textBytes),
  }));
  return { figures: [...figures, ...h2Figures], details: { http1: measured, h2: measuredH2 } };
}

/**
 * One reply as SSE over HTTP/2 on the HTTPS port, on a connection of its own, read from the tap:
 * the plaintext connection's frames (no preface on the server's side) and the TLS records of
 * its `layer: 'tls'` twin, written after the HEADERS frame of the response.
 */
async function measureH2(port: number, tlsPort: number, kind: Kind): Promise<MeasuredH2> {
  const run = `bytes-h2-${kind}`;
  const settings = parseSettings({ text: texts[kind], tps: '1000', ttft: '0', jitter: '0', run });
  const reply = replyFor(settings);
  const query = settingsQuery(settings);
  const events = await tapEvents(
    port,
    run,
    () =>
      new Promise<void>((resolve, reject) => {
        // The bench's certificate is made per run: not checked.
        const session = http2.connect(`https://127.0.0.1:${tlsPort}`, { rejectUnauthorized: false });
        session.on('error', reject);
        const req = session.request({ ':path': `/api/stream/sse?${query}` });
        req.resume();
        req.on('end', () => session.close(() => resolve()));
        req.on('error', reject);
      }),
    2,
  );
  let headBytes = 0;
  let bodyBytes = 0;
  let tlsBodyBytes = 0;
  let dataFrames = 0;
  let dataBytes = 0;
  let afterHead = false;
  let headRecord = false;
  let pending = Buffer.alloc(0);
  for (const e of events) {
    if (e.type !== 'write') continue;
    const bytes = Buffer.from(e.data, 'base64');
    if ('layer' in e && e.layer === 'tls') {
      // The record carrying the HEADERS frame is the head's; those after it, the body's.
      if (headRecord) headRecord = false;
      else if (afterHead) tlsBodyBytes += bytes.length;
      continue;
    }
    if (afterHead) bodyBytes += bytes.length;
    pending = Buffer.concat([pending, bytes]);
    let i = 0;
    while (i + 9 <= pending.length) {
      const length = pending.readUIntBE(i, 3);
      if (i + 9 + length > pending.length) break;
      const type = pending[i + 3]!;
      const stream = pending.readUInt32BE(i + 5) & 0x7fffffff;
      if (!afterHead && type === 0x1 && stream === 1) {
        headBytes = 9 + length;
        afterHead = true;
        headRecord = true;
        // Frames written with the HEADERS frame in the same write are body too.
        bodyBytes += pending.length - (i + 9 + length);
      } else if (afterHead && type === 0x0) {
        dataFrames++;
        dataBytes += length;
      }
      i += 9 + length;
    }
    pending = pending.subarray(i);
  }
  if (!headBytes) throw new Error('The tap shows no HEADERS frame for the HTTP/2 stream.');
  return { kind, tokens: reply.tokens.length, textBytes: Buffer.byteLength(reply.text), headBytes, bodyBytes, tlsBodyBytes, dataFrames, dataBytes };
}

async function measure(port: number, transport: Transport, kind: Kind): Promise<Measured> {
  const run = `bytes-${transport}-${kind}`;
  const settings = parseSettings({ text: texts[kind], tps: '1000', ttft: '0', jitter: '0', run });
  const reply = replyFor(settings);
  const query = settingsQuery(settings);
  const events = await tapEvents(port, run, () => request(port, transport, query, texts[kind]));
  const written = Buffer.concat(events.flatMap((e) => (e.type === 'write' ? [Buffer.from(e.data, 'base64')] : [])));
  const headBytes = written.indexOf('\r\n\r\n') + 4;
  if (headBytes < 4) throw new Error(`The tap shows no response head for the ${transport} stream.`);
  return { transport, kind, tokens: reply.tokens.length, textBytes: Buffer.byteLength(reply.text), headBytes, bodyBytes: written.length - headBytes };
}

/** The tap events of `run` while `act` runs, up to the close of its connection (of `closes` connections: an HTTPS one is two in the tap). */
async function tapEvents(port: number, run: string, act: () => Promise<void>, closes = 1): Promise<TapEvent[]> {
  const events: TapEvent[] = [];
  const req = http.get({ host: '127.0.0.1', port, path: `/api/tap?run=${run}`, agent: false });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let closed!: () => void;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  const parser = createParser({
    onEvent(event) {
      const tapEvent = JSON.parse(event.data) as TapEvent;
      events.push(tapEvent);
      if (tapEvent.type === 'close' && --closes === 0) closed();
    },
  });
  res.setEncoding('utf8');
  res.on('data', (text: string) => parser.feed(text));
  try {
    await act();
    const timeout = setTimeout(() => closed(), 10_000);
    await connectionClosed;
    clearTimeout(timeout);
  } finally {
    req.destroy();
  }
  if (!events.some((e) => e.type === 'close')) throw new Error(`The tap never showed run ${run}'s connection closing.`);
  return events;
}

/** One whole reply over `transport`, on a connection the server closes when it is done. */
function request(port: number, transport: Transport, query: string, text: string): Promise<void> {
  if (transport === 'ws') {
    const run = new URLSearchParams(query).get('run');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/stream/ws?run=${run}`, { perMessageDeflate: false });
    ws.on('open', () => ws.send(startMessage(query)));
    return new Promise((resolve, reject) => {
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
  }
  const pacing = new URLSearchParams(query);
  pacing.delete('text');
  const options: http.RequestOptions =
    transport === 'openai'
      ? // Model `echo` streams the user's message back: the same text as the other transports.
        { method: 'POST', path: `/v1/chat/completions?${pacing}`, headers: { 'Content-Type': 'application/json' } }
      : { method: 'GET', path: `/api/stream/${transport}?${query}` };
  return new Promise((resolve, reject) => {
    // No agent: the request says `Connection: close`, so the server closes once the reply is out.
    const req = http.request({ host: '127.0.0.1', port, agent: false, ...options }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${transport}: HTTP ${res.statusCode}`));
      res.resume();
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(transport === 'openai' ? JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: text }], stream: true }) : undefined);
  });
}
