/**
 * Figures the lessons quote (a Content-Length, a chunk size, bytes per token) are measured, not
 * pasted. Prose marks each one with an HTML comment right after it, which the page never shows:
 *
 *   `Content-Length: 759`<!-- figure: http content-length -->
 *   about 3,300<!-- figure about: sse body-bytes --> bytes
 *
 * `figure:` the quoted figure is exact; `figure about:` it is the measured value rounded to the
 * quoted precision (3,300 matches 3,250 to 3,349; 4.4 matches 4.35 to 4.449…). Then the lane
 * whose response is measured, the measure, its argument if it takes one, and settings that differ
 * from the step's (`key=value`). `lessons/figures.test.ts` runs every marked figure's step
 * settings against a real server over a real socket and fails on any drift.
 */
import net from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { defaultSettings, settingsQuery, type Settings } from '../../client/src/run/settings.ts';
import { stepState, type Lesson } from '../../client/src/lessons/lesson.ts';

/**
 * The lanes a figure can be measured on, requested as the page's clients request them. `slow-sse`
 * is the faults lab's slow link: the server under test must mount `faultsRoutes`.
 */
export const figureLanes = ['sse', 'http', 'openai', 'anthropic', 'slow-sse'] as const;

const getPaths: Partial<Record<FigureLane, string>> = { sse: '/api/stream/sse', http: '/api/stream/http', 'slow-sse': '/api/labs/faults/slow/sse' };
export type FigureLane = (typeof figureLanes)[number];

/** One response, as the wire carried it. */
export interface Capture {
  headers: Record<string, string>;
  /** Bytes of the status line and header fields, blank line included. */
  headBytes: number;
  /** The body as sent: chunked framing included. */
  wire: Buffer;
  /** Each chunk's size line as sent (`d`, `36`…), its size and data; empty for a Content-Length body. */
  chunks: { hex: string; size: number; data: Buffer }[];
  /** The body without its framing: what `curl -s … | wc -c` counts. */
  payload: Buffer;
  /** The reply's tokens, in order, as this lane's page client reads them. */
  tokens: string[];
}

interface Measure {
  /**
   * Depends on the pace (`tps`, `ttft`, `jitter`): the buffered JSON and SSE's `done` event carry
   * the planned duration. Paced figures run at the step's own pace; the others on a fast run of
   * the same reply (`tps=1000&ttft=0`), whose tokens and token events are the same bytes.
   */
  paced: boolean;
  takesArg?: boolean;
  value(c: Capture, settings: Settings, arg: number): number | string;
}

const utf8 = (s: string): number => Buffer.byteLength(s);
const text = (c: Capture): string => c.tokens.join('');
const overhead = (c: Capture): number => c.headBytes + c.wire.length - utf8(text(c));
const nth = (c: Capture, arg: number) => {
  const chunk = c.chunks[arg - 1];
  if (!chunk) throw new Error(`the response has ${c.chunks.length} chunks, no chunk ${arg}`);
  return chunk;
};

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The chunks that carry one whole token event (this server writes one per token). */
const tokenChunks = (c: Capture) => c.chunks.filter((k) => k.data.includes('\nevent: token\n'));

/** What a marker can measure, by name. */
export const measures: Record<string, Measure> = {
  /** The `Content-Length` header. */
  'content-length': { paced: true, value: (c) => Number(c.headers['content-length']) },
  /** The Nth chunk's size line (1 = the first), as the hex on the wire. */
  'chunk-size': { paced: false, takesArg: true, value: (c, _s, n) => nth(c, n).hex },
  /** The Nth chunk's size in bytes. */
  'chunk-bytes': { paced: false, takesArg: true, value: (c, _s, n) => nth(c, n).size },
  tokens: { paced: false, value: (c) => c.tokens.length },
  /** Characters (code points) of the reply. */
  characters: { paced: false, value: (c) => [...text(c)].length },
  /** The body without its framing, as `curl -s … | wc -c` counts it. */
  'body-bytes': { paced: true, value: (c) => c.payload.length },
  'text-bytes-per-token': { paced: false, value: (c) => utf8(text(c)) / c.tokens.length },
  'characters-per-token': { paced: false, value: (c) => [...text(c)].length / c.tokens.length },
  /** The response's bytes (head, body, framing) beyond the reply's text, per token. */
  'overhead-per-token': { paced: true, value: (c) => overhead(c) / c.tokens.length },
  /** The same per character of the reply. */
  'overhead-per-character': { paced: true, value: (c) => overhead(c) / [...text(c)].length },
  /** Chunks that begin inside a UTF-8 character (with a continuation byte): a cut in the middle of one. */
  'cuts-inside-characters': { paced: false, value: (c) => c.chunks.filter((k) => ((k.data[0] ?? 0) & 0xc0) === 0x80).length },
  /** Chunk framing of a token event (its size line and the CRLF after its data), averaged over the token events. */
  'chunk-framing-per-token': { paced: false, value: (c) => mean(tokenChunks(c).map((k) => k.hex.length + 4)) },
  /**
   * SSE framing of a token event: its bytes but the values of `id:` and `data:` (so the field
   * names, `event: token`, the line ends and the blank line), averaged over the token events.
   */
  'sse-framing-per-token': {
    paced: false,
    value: (c) =>
      mean(
        tokenChunks(c).map((k) => {
          const values = [...k.data.toString('utf8').matchAll(/^(?:id|data): ?(.*)$/gm)].map((m) => utf8(m[1]!));
          return k.size - values.reduce((a, b) => a + b, 0);
        }),
      ),
  },
  /** How long the reply takes by its settings: the think time, then the tokens at `tps`. */
  seconds: { paced: false, value: (c, s) => (s.ttft + (c.tokens.length * 1000) / s.tps) / 1000 },
};

/** One marked figure of a lesson. */
export interface FigureMark {
  lesson: string;
  /** 0-based. */
  step: number;
  /** The figure as the prose quotes it, e.g. `759`, `3,300`, `d`. */
  quoted: string;
  about: boolean;
  lane: FigureLane;
  measure: string;
  arg: number;
  /** The step's settings (over the page's defaults) with the marker's own on top. */
  settings: Settings;
  /** What the measuring run asks for: `settings`, or for a figure that does not depend on the pace, the same at `tps=1000&ttft=0`. */
  run: Settings;
  /** The marker as written, for messages. */
  marker: string;
}

const markerPattern = /<!--\s*figure( about)?:\s*([^>]*?)\s*-->/g;

/** The marked figures in one piece of rendered HTML, each with the figure just before it. */
export function marksIn(html: string): { quoted: string; about: boolean; words: string[]; marker: string }[] {
  return [...html.matchAll(markerPattern)].map((m) => {
    const before = html
      .slice(0, m.index)
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/<[^>]*>/g, '');
    const last = /(\S+)\s*$/.exec(before)?.[1] ?? '';
    return { quoted: last.replace(/^[^\w]+|[^\w]+$/g, ''), about: m[1] !== undefined, words: m[2]!.split(/\s+/).filter(Boolean), marker: m[0] };
  });
}

/** Every marked figure of a lesson, with the settings its step runs with; throws on a bad marker. */
export function figureMarks(lesson: Lesson): FigureMark[] {
  return lesson.steps.flatMap((step, i) => {
    const base: Settings = { ...defaultSettings, ...stepState(lesson, i).settings };
    return [step.lead, step.body, step.config.predict?.explain ?? ''].flatMap(marksIn).map(({ quoted, about, words, marker }): FigureMark => {
      const where = `${lesson.slug}, step ${i + 1} ("${step.title}"), ${marker}`;
      const [lane, measure, ...rest] = words;
      if (!figureLanes.includes(lane as FigureLane)) throw new Error(`${where}: the lane must be one of ${figureLanes.join(', ')}.`);
      const spec = measures[measure ?? ''];
      if (!spec) throw new Error(`${where}: unknown measure; known: ${Object.keys(measures).join(', ')}.`);
      const arg = spec.takesArg ? Number(rest.shift()) : 0;
      if (spec.takesArg && !(arg >= 1)) throw new Error(`${where}: "${measure}" needs a number (1 = the first).`);
      const settings: Settings = { ...base };
      for (const pair of rest) {
        const [key, value] = pair.split('=', 2) as [keyof Settings, string | undefined];
        if (value === undefined || !(key in settings)) throw new Error(`${where}: "${pair}" is not a setting=value.`);
        (settings as unknown as Record<string, string | number>)[key] = typeof defaultSettings[key] === 'number' ? Number(value) : value;
      }
      if (quoted === '') throw new Error(`${where}: no figure right before the marker.`);
      return {
        lesson: lesson.slug,
        step: i,
        quoted,
        about,
        lane: lane as FigureLane,
        measure: measure!,
        arg,
        settings,
        run: spec.paced ? settings : { ...settings, tps: 1000, ttft: 0 },
        marker,
      };
    });
  });
}

/** The settings of the run that measures this figure, as the stable key of a capture. */
export function captureKey(mark: FigureMark): string {
  return `${mark.lane} ${settingsQuery(mark.run).toString()}`;
}

/** Small counts read better as words in prose: "three of those cuts". */
const numberWords = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

/**
 * Does the quoted figure say the measured value? A count up to twelve may be a word. Exact: the same number (commas aside), or the
 * same hex. About: the value rounded to the quoted precision, the last non-zero digit of a whole
 * number (3,300: hundreds) or the last decimal (4.4: tenths).
 */
export function figureMatches(quoted: string, value: number | string, about: boolean): boolean {
  if (typeof value === 'string') return !about && quoted.toLowerCase() === value.toLowerCase();
  const word = numberWords.indexOf(quoted.toLowerCase());
  const plain = word >= 0 ? String(word) : quoted.replace(/,/g, '');
  if (!/^\d+(\.\d+)?$/.test(plain)) return false;
  const q = Number(plain);
  if (!about) return q === value;
  const decimals = plain.split('.')[1]?.length ?? 0;
  const unit = decimals > 0 ? 10 ** -decimals : 10 ** /0*$/.exec(plain)![0].length;
  return Math.abs(value - q) <= unit / 2 + 1e-9;
}

/** What the page's client for `lane` sends, over a fresh socket, and the response as it came. */
export async function capture(origin: string, lane: FigureLane, settings: Settings): Promise<Capture> {
  const { host, port } = new URL(origin);
  let request: string;
  const getPath = getPaths[lane];
  if (getPath) {
    request = `GET ${getPath}?${settingsQuery(settings).toString()} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
  } else {
    const { text, prompt, tps, ttft, jitter, seed } = settings;
    const content = text || prompt;
    const model = text ? 'echo' : 'streamscope';
    const common = { messages: [{ role: 'user', content }], ...(text ? {} : { prompt }), stream: true, tps, ttft, jitter, seed };
    const body = JSON.stringify(lane === 'openai' ? { model, ...common } : { model, max_tokens: 20_000, ...common });
    const path = lane === 'openai' ? '/v1/chat/completions' : '/v1/messages';
    request = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${utf8(body)}\r\n\r\n${body}`;
  }
  const all = await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    const socket = net.connect(Number(port), new URL(origin).hostname, () => socket.write(request));
    socket.on('data', (b: Buffer) => parts.push(b));
    socket.on('end', () => resolve(Buffer.concat(parts)));
    socket.on('error', reject);
  });
  const headEnd = all.indexOf('\r\n\r\n') + 4;
  const [status = '', ...fields] = all
    .subarray(0, headEnd - 4)
    .toString('latin1')
    .split('\r\n');
  if (!/ 200 /.test(`${status} `)) throw new Error(`${lane}: ${status}`);
  const headers = Object.fromEntries(fields.map((f) => [f.slice(0, f.indexOf(':')).toLowerCase(), f.slice(f.indexOf(':') + 1).trim()]));
  const wire = all.subarray(headEnd);
  const chunks: Capture['chunks'] = [];
  let payload = wire;
  if (headers['transfer-encoding'] === 'chunked') {
    const pieces: Buffer[] = [];
    for (let at = 0; at < wire.length;) {
      const lineEnd = wire.indexOf('\r\n', at);
      const hex = wire.subarray(at, lineEnd).toString('latin1');
      const size = parseInt(hex, 16);
      if (size === 0) break;
      const data = wire.subarray(lineEnd + 2, lineEnd + 2 + size);
      chunks.push({ hex, size, data });
      pieces.push(data);
      at = lineEnd + 2 + size + 2;
    }
    payload = Buffer.concat(pieces);
  }
  return { headers, headBytes: headEnd, wire, chunks, payload, tokens: tokensOf(lane, payload) };
}

/** The token texts, read the way each lane's page client reads them. */
function tokensOf(lane: FigureLane, payload: Buffer): string[] {
  if (lane === 'slow-sse') lane = 'sse';
  if (lane === 'http') return (JSON.parse(payload.toString('utf8')) as { tokens: string[] }).tokens;
  const events: EventSourceMessage[] = [];
  createParser({ onEvent: (e) => events.push(e) }).feed(payload.toString('utf8'));
  return events.flatMap((e): string[] => {
    if (lane === 'sse') return e.event === 'token' ? [(JSON.parse(e.data) as { text: string }).text] : [];
    if (lane === 'openai')
      return e.data === '[DONE]'
        ? []
        : [(JSON.parse(e.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? ''].filter(Boolean);
    return e.event === 'content_block_delta' ? [(JSON.parse(e.data) as { delta: { text?: string } }).delta.text ?? ''] : [];
  });
}
