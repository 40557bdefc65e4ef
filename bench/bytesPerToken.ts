/**
 * Bytes per token: what each transport puts on the wire for one token, read from the wire tap
 * (the bytes the server really wrote), for short tokens (the default prompt) and long ones (a
 * text of long words). Counted after the response head, so the figure is the framing that
 * grows with the reply: SSE fields and chunk sizes, WebSocket frame headers, JSON around text.
 */
import http from 'node:http';
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

export async function bytesPerToken(_config: unknown, log: Log): Promise<SectionResult> {
  const server = await startTarget('streamscope');
  const measured: Measured[] = [];
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
  const figures = measured.map(({ transport, kind, tokens, textBytes, bodyBytes }): Figure => ({
    section: 'bytes per token',
    name: `${transport}, ${kind} tokens: wire bytes per token (after the head)`,
    value: bodyBytes / tokens,
    unit: 'B',
    baseline: { label: 'token text', value: textBytes / tokens },
    ratio: ratio(bodyBytes, textBytes),
  }));
  return { figures, details: measured };
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

/** The tap events of `run` while `act` runs, up to the close of its connection. */
async function tapEvents(port: number, run: string, act: () => Promise<void>): Promise<TapEvent[]> {
  const events: TapEvent[] = [];
  const req = http.get({ host: '127.0.0.1', port, path: `/api/tap?run=${run}`, agent: false });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let closed!: () => void;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  const parser = createParser({
    onEvent(event) {
      const tapEvent = JSON.parse(event.data) as TapEvent;
      events.push(tapEvent);
      if (tapEvent.type === 'close') closed();
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
