import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Problem } from '../problem.ts';
import { prompts } from '../model/prompts.ts';
import { paced, type Reply, type UpstreamFailure } from '../model/reply.ts';
import type { Generation, GenerationCause, GenerationSource } from '../replies/replies.ts';
import type { ByteRange, Concealed, SecretFinder, WireTap } from '../wiretap/wireTap.ts';
import { ExactBytesFinder } from '../wiretap/exactBytesFinder.ts';
import { SecretHeaderScanner } from '../classroom/secretHeaders.ts';
import { OutgoingError, readSome, sendOutgoing } from './outgoing.ts';

/**
 * A real model behind Streamscope: an OpenAI-compatible or Anthropic API (`STREAMSCOPE_UPSTREAM_*`).
 * One streaming request per reply; its deltas go into the reply log as they arrive, so every lane
 * reads the same tokens with the model's own timing.
 */
export type UpstreamKind = 'openai' | 'anthropic';

export interface UpstreamConfig {
  /** Base URL, e.g. `http://127.0.0.1:11434/v1` (no trailing slash). */
  url: string;
  kind: UpstreamKind;
  /** Sent as `Authorization: Bearer` (OpenAI) or `x-api-key` (Anthropic). Never printed, logged or shown. */
  key?: string;
}

/** The upstream the environment configures, if any; a bad value throws an Error saying which (never the key). */
export function upstreamFromEnv(env: NodeJS.ProcessEnv = process.env): UpstreamConfig | undefined {
  const raw = env.STREAMSCOPE_UPSTREAM_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`STREAMSCOPE_UPSTREAM_URL must be an http(s) URL such as http://127.0.0.1:11434/v1; got "${raw}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`STREAMSCOPE_UPSTREAM_URL must start with http:// or https://; got "${url.protocol}".`);
  if (url.username || url.password) throw new Error('STREAMSCOPE_UPSTREAM_URL must not carry credentials: give the key in STREAMSCOPE_UPSTREAM_KEY.');
  const kind = (env.STREAMSCOPE_UPSTREAM_KIND?.trim() || 'openai').toLowerCase();
  if (kind !== 'openai' && kind !== 'anthropic') throw new Error(`STREAMSCOPE_UPSTREAM_KIND must be "openai" or "anthropic"; got "${kind}".`);
  const key = env.STREAMSCOPE_UPSTREAM_KEY?.trim() || undefined;
  url.pathname = url.pathname.replace(/\/+$/, '');
  return { url: url.href, kind, ...(key ? { key } : {}) };
}

export interface UpstreamOptions {
  /** Records the upstream leg of each reply. @default none */
  tap?: WireTap;
  /** ms a model list is kept (a failed one a fifth of it). @default 30000 */
  modelsCacheMs?: number;
  /** ms to wait for the upstream's response head (a model may think long). @default 60000 */
  headTimeoutMs?: number;
  /** ms of silence mid-stream before the request is cut. @default 120000 */
  idleTimeoutMs?: number;
}

/** What `/v1/models` learns of the upstream's models: the ids, or why there are none. */
export interface UpstreamModels {
  ids: string[];
  error?: string;
}

/** Anthropic's API version header, required on every request. */
const anthropicVersion = '2023-06-01';

export class Upstream {
  readonly config: UpstreamConfig;
  readonly #options: Required<Omit<UpstreamOptions, 'tap'>> & { tap?: WireTap };
  #models: { at: number; value: Promise<UpstreamModels> } | undefined;

  constructor(config: UpstreamConfig, { tap, modelsCacheMs = 30_000, headTimeoutMs = 60_000, idleTimeoutMs = 120_000 }: UpstreamOptions = {}) {
    this.config = config;
    this.#options = { tap, modelsCacheMs, headTimeoutMs, idleTimeoutMs };
  }

  /** The upstream in words, for the terminal and the page: kind and URL, never the key. */
  describe(): string {
    const kind = this.config.kind === 'openai' ? 'OpenAI-compatible' : 'Anthropic';
    return `${kind} upstream at ${this.config.url}${this.config.key ? ' (with a key)' : ''}`;
  }

  /** The upstream's model ids, kept briefly; a failure is an answer too (`error`), never a throw. */
  models(): Promise<UpstreamModels> {
    const now = Date.now();
    const cached = this.#models;
    if (cached && now - cached.at < this.#options.modelsCacheMs) return cached.value;
    const value = this.#fetchModels();
    this.#models = { at: now, value };
    // A failure is kept a shorter while: the upstream may be starting.
    void value.then((m) => {
      if (m.error && this.#models?.value === value) this.#models.at = now - this.#options.modelsCacheMs * 0.8;
    });
    return value;
  }

  async #fetchModels(): Promise<UpstreamModels> {
    const url = this.#url('models');
    try {
      const res = await sendOutgoing({
        url,
        method: 'GET',
        headers: this.#headers(false),
        signal: AbortSignal.timeout(10_000),
        headTimeoutMs: 5_000,
        idleTimeoutMs: 5_000,
      });
      const body = await readSome(res, 4 * 1024 * 1024);
      if ((res.statusCode ?? 0) >= 300) return { ids: [], error: `${url.href} answered ${res.statusCode}: ${this.#hide(errorMessage(body).message)}` };
      const data = (JSON.parse(body) as { data?: unknown }).data;
      if (!Array.isArray(data)) return { ids: [], error: `${url.href} answered no "data" list of models.` };
      return { ids: data.map((m: unknown) => (m as { id?: unknown })?.id).filter((id): id is string => typeof id === 'string') };
    } catch (error) {
      return { ids: [], error: `${url.href} did not answer: ${this.#hide(error instanceof Error ? error.message : String(error))}` };
    }
  }

  /** A 400 naming `model` when the upstream lists its models and this one is not among them. */
  async check(reply: Reply): Promise<void> {
    const model = reply.upstream!.model;
    const { ids, error } = await this.models();
    // An upstream that lists nothing (down, or no list) gets the request and answers for itself.
    if (error || ids.length === 0 || ids.includes(model)) return;
    const shown = ids.slice(0, 20).map((id) => `upstream/${id}`);
    throw new Problem(
      400,
      `Parameter "model": the upstream has no model "${model}". GET /v1/models lists its models: ${shown.join(', ')}${ids.length > 20 ? ', …' : ''}.`,
      'model',
    );
  }

  /** The upstream's reply to this reply's prompt, delta by delta, into `reply` (see `Reply.upstream`). */
  generate(reply: Reply, from: number, cause: GenerationCause): Generation {
    const generation = new PushGeneration(from);
    const state = reply.upstream!;
    let headSettled = false;
    let resolveHead!: () => void;
    let rejectHead!: (error: Error) => void;
    state.head = new Promise<void>((resolve, reject) => {
      resolveHead = resolve;
      rejectHead = reject;
    });
    // Readers that never wait on it must not see an unhandled rejection.
    state.head.catch(() => {});
    // A new request after a resume continues the log at `from`: the tokens before it are another answer's.
    const tokens = reply.tokens as string[];
    const due = reply.due as number[];
    while (tokens.length < from) {
      tokens.push('');
      due.push(0);
    }
    const start = performance.now();
    const fail = (failure: Omit<UpstreamFailure, 'beforeHead'>): void => {
      if (state.finished) return;
      state.error = { ...failure, message: this.#hide(failure.message), beforeHead: !headSettled };
      state.finished = true;
      if (!headSettled) rejectHead(new Error(state.error.message));
      headSettled = true;
      generation.end();
    };
    const finish = (): void => {
      if (state.finished) return;
      state.finished = true;
      generation.end();
    };
    const delta = (text: string): void => {
      if (text === '' || state.finished) return;
      tokens.push(text);
      due.push(performance.now() - start);
      reply.text += text;
      generation.push(text);
    };

    const settings = reply.settings;
    const message = settings.text ?? prompts.find((p) => p.id === settings.prompt)?.prompt ?? settings.prompt;
    const openai = this.config.kind === 'openai';
    const body = JSON.stringify(
      openai
        ? { model: state.model, messages: [{ role: 'user', content: message }], stream: true }
        : { model: state.model, max_tokens: 1024, messages: [{ role: 'user', content: message }], stream: true },
    );
    const url = this.#url(openai ? 'chat/completions' : 'messages');
    const tap = this.#options.tap;
    void (async () => {
      let res: IncomingMessage;
      try {
        res = await sendOutgoing({
          url,
          method: 'POST',
          headers: { ...this.#headers(true), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
          body,
          signal: generation.signal,
          ...(tap ? { tap: { tap, leg: 'upstream' as const, run: settings.run, owner: cause.remoteAddress ?? '', conceal: this.#conceal() } } : {}),
          headTimeoutMs: this.#options.headTimeoutMs,
          idleTimeoutMs: this.#options.idleTimeoutMs,
        });
      } catch (error) {
        if (generation.signal.aborted) return finish();
        const status = error instanceof OutgoingError ? error.status : 502;
        return fail({ status, message: `${url.href}: ${error instanceof Error ? error.message : String(error)}` });
      }
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const { message, type } = errorMessage(await readSome(res));
        return fail({ status, message, ...(type ? { type } : {}) });
      }
      const type = String(res.headers['content-type'] ?? '');
      if (!/^text\/event-stream\b/i.test(type)) {
        res.destroy();
        return fail({
          status: 502,
          message: `${url.href} answered ${status} with ${type ? `Content-Type ${type}` : 'no Content-Type'}, not an event stream (text/event-stream).`,
        });
      }
      headSettled = true;
      resolveHead();
      let ended = false;
      const parser = createParser({
        onEvent: (event) => {
          if (ended) return;
          const read = openai ? openaiEvent(event) : anthropicEvent(event);
          if (read.text !== undefined) delta(read.text);
          if (read.error) {
            ended = true;
            fail({ status: status, message: read.error.message, ...(read.error.type ? { type: read.error.type } : {}) });
            res.destroy();
          } else if (read.end) {
            ended = true;
            finish();
            res.destroy();
          }
        },
      });
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          if (ended) break;
        }
      } catch {
        // The connection broke: said below, unless the reader left.
      }
      if (generation.signal.aborted) return finish();
      if (!ended)
        fail({
          status: 502,
          message: `${url.href}: the stream ended before its end event (${openai ? 'data: [DONE]' : 'message_stop'}): the connection was cut mid-stream.`,
        });
    })();
    return generation;
  }

  /** An endpoint under the base URL; a query string on the base (Streamscope's own pacing, say) stays on. */
  #url(endpoint: string): URL {
    const url = new URL(this.config.url);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${endpoint}`;
    return url;
  }

  #headers(stream: boolean): OutgoingHttpHeaders {
    const key = this.config.key;
    const headers: OutgoingHttpHeaders = {
      Accept: stream ? 'text/event-stream' : 'application/json',
      'Accept-Encoding': 'identity',
      'User-Agent': 'Streamscope',
    };
    if (this.config.kind === 'anthropic') {
      headers['anthropic-version'] = anthropicVersion;
      if (key) headers['x-api-key'] = key;
    } else if (key) headers.Authorization = `Bearer ${key}`;
    return headers;
  }

  /**
   * What no tap reader sees on the upstream leg: the key's header values in Streamscope's request,
   * and the key's own bytes wherever they show up (an upstream's error may echo it).
   */
  #conceal(): Concealed {
    return { write: this.#keyFinder(new SecretHeaderScanner()), read: this.#keyFinder() };
  }

  /** The key's own bytes (`ExactBytesFinder`: also one split across chunks), after what `headers` finds. */
  #keyFinder(headers?: SecretFinder): SecretFinder {
    const key = this.config.key ? new ExactBytesFinder(this.config.key) : null;
    return {
      scan(chunk: Uint8Array): ByteRange[] {
        const ranges = [...(headers?.scan(chunk) ?? [])];
        if (key) ranges.push(...key.scan(chunk));
        return ranges;
      },
    };
  }

  /** A message with the key (an upstream may echo it) replaced. */
  #hide(text: string): string {
    const key = this.config.key;
    return key ? text.split(key).join('***') : text;
  }
}

/** What one event of a stream says: a delta, the end, or an error. */
interface EventReading {
  text?: string;
  end?: boolean;
  error?: { message: string; type?: string };
}

/** OpenAI: `data: {chunk}` with `choices[0].delta.content`, `data: {"error":…}`, `data: [DONE]`. */
function openaiEvent(event: EventSourceMessage): EventReading {
  if (event.data.trim() === '[DONE]') return { end: true };
  let json: { choices?: { delta?: { content?: unknown } }[]; error?: { message?: unknown; type?: unknown } };
  try {
    json = JSON.parse(event.data) as typeof json;
  } catch {
    return { error: { message: `an event whose data is not JSON: ${JSON.stringify(event.data.slice(0, 120))}` } };
  }
  if (json.error)
    return { error: { message: String(json.error.message ?? 'error'), ...(typeof json.error.type === 'string' ? { type: json.error.type } : {}) } };
  const content = json.choices?.[0]?.delta?.content;
  return typeof content === 'string' ? { text: content } : {};
}

/** Anthropic: `content_block_delta` with a `text_delta`, `message_stop`, and `error` events. */
function anthropicEvent(event: EventSourceMessage): EventReading {
  let json: { type?: string; delta?: { type?: string; text?: unknown }; error?: { type?: unknown; message?: unknown } };
  try {
    json = JSON.parse(event.data) as typeof json;
  } catch {
    return { error: { message: `an event whose data is not JSON: ${JSON.stringify(event.data.slice(0, 120))}` } };
  }
  const type = event.event ?? json.type;
  if (type === 'error')
    return { error: { message: String(json.error?.message ?? 'error'), ...(typeof json.error?.type === 'string' ? { type: json.error.type } : {}) } };
  if (type === 'message_stop') return { end: true };
  if (type === 'content_block_delta' && json.delta?.type === 'text_delta' && typeof json.delta.text === 'string') return { text: json.delta.text };
  return {};
}

/** The message of an error body: OpenAI's `error.message`, Anthropic's, problem+json's `detail`, or the text itself. */
export function errorMessage(body: string): { message: string; type?: string } {
  try {
    const json = JSON.parse(body) as { error?: { message?: unknown; type?: unknown } | string; detail?: unknown; message?: unknown };
    const error = json.error;
    if (typeof error === 'object' && error && typeof error.message === 'string')
      return { message: error.message, ...(typeof error.type === 'string' ? { type: error.type } : {}) };
    if (typeof error === 'string') return { message: error };
    if (typeof json.detail === 'string') return { message: json.detail };
    if (typeof json.message === 'string') return { message: json.message };
  } catch {
    // Not JSON: the text.
  }
  const text = body.replace(/\s+/g, ' ').trim();
  return { message: text === '' ? '(no message)' : text.length > 300 ? `${text.slice(0, 300)}…` : text };
}

/** Tokens pushed as they come; `return()` aborts what feeds it (the upstream request). */
class PushGeneration implements Generation {
  readonly #abort = new AbortController();
  readonly #queue: string[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #position: number;

  constructor(from: number) {
    this.#position = from;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get position(): number {
    return this.#position;
  }

  push(text: string): void {
    if (this.#ended) return;
    this.#queue.push(text);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async next(): Promise<IteratorResult<{ text: string }>> {
    for (;;) {
      const text = this.#queue.shift();
      if (text !== undefined) {
        this.#position++;
        return { done: false, value: { text } };
      }
      if (this.#ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  return(): Promise<IteratorResult<{ text: string }>> {
    this.#queue.length = 0;
    this.#abort.abort();
    this.end();
    return Promise.resolve({ done: true, value: undefined });
  }
}

/**
 * Where the app's generations come from: the simulated model, and the upstream for `upstream/<id>`
 * models. Without an upstream, such a model is a 400 naming `model`.
 */
export function generationSource(upstream: Upstream | undefined): GenerationSource {
  return {
    check: async (reply) => {
      if (!reply.upstream) return;
      if (!upstream)
        throw new Problem(
          400,
          `Parameter "model": no upstream is configured, so there is no model "upstream/${reply.upstream.model}". Start the server with STREAMSCOPE_UPSTREAM_URL (and STREAMSCOPE_UPSTREAM_KIND, STREAMSCOPE_UPSTREAM_KEY) to use one.`,
          'model',
        );
      await upstream.check(reply);
    },
    generate: (reply, from, cause) => (reply.upstream && upstream ? upstream.generate(reply, from, cause) : paced(reply, from)),
  };
}
