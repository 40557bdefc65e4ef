import { prompts } from './prompts.ts';
import { schedule } from './schedule.ts';
import { tokenize } from './tokenize.ts';
import { PacedTokens } from './pacedTokens.ts';
import { seededRandom } from './random.ts';
import { sampleText } from './sample.ts';
import type { ReplySettings } from './settings.ts';

/** A reply ready to stream: its tokens and when each is due. Same settings, same Reply. */
export interface Reply {
  settings: ReplySettings;
  text: string;
  tokens: readonly string[];
  /** ms after the start at which each token is due. */
  due: readonly number[];
  /**
   * Set when the reply was sampled at random (`temperature` above 0 without a `seed`): the same
   * settings will not say the same again, so this names this generation's words.
   */
  sample?: number;
  /**
   * Set for a reply of an upstream model (`model=upstream/<id>`): its tokens are not known ahead.
   * The generation (`server/upstream/upstreamGeneration.ts`) appends each delta to `tokens` (and
   * its time to `due`, and its text to `text`) as the upstream sends it, and says here how it went.
   */
  upstream?: UpstreamState;
}

/** How an upstream model's reply is going: filled in by its one generation, read by every response. */
export interface UpstreamState {
  /** The upstream's model id (without `upstream/`). */
  model: string;
  /** True once the upstream's stream ended (complete or failed). */
  finished: boolean;
  /** What went wrong upstream, if it did: its own status and message. */
  error: UpstreamFailure | null;
  /** Settles once the upstream's response head is in: rejects with the failure when there was none to relay. */
  head: Promise<void>;
}

/** An upstream failure as the lanes name it: the upstream's status (502 when it sent none) and its message. */
export interface UpstreamFailure {
  status: number;
  /** Sent before the upstream's head was in (nothing streamed yet): the answer's own status can say it. */
  beforeHead: boolean;
  /** The upstream's own message, or what went wrong with the connection. */
  message: string;
  /** The upstream's error type when it named one (`rate_limit_error`, `invalid_request_error`…). */
  type?: string;
}

/** A short, deterministic summary sent with the final `done` message of every transport. */
export interface ReplySummary {
  tokens: number;
  characters: number;
  /** When the last token was due, in ms after the start (the simulated generation time). */
  plannedMs: number;
}

/**
 * The reply the settings say. `draw` names one sampled reply (temperature above 0, no `seed`):
 * the page never asks for a draw's words again (a real model could not say them twice), but a
 * reader of a logged draw needs its summary.
 */
export function replyFor(settings: ReplySettings, draw?: number): Reply {
  if (settings.model !== null) return upstreamReply(settings);
  const scripted = settings.text ?? prompts.find((p) => p.id === settings.prompt)?.reply ?? '';
  if (settings.temperature === 0) {
    const tokens = tokenizeCached(scripted);
    return { settings, text: scripted, tokens, due: schedule(tokens.length, settings) };
  }
  // Sampled: seeded by the request's seed, else at random (and then named by that draw).
  const sample = settings.sampleSeed === null ? (draw ?? Math.floor(Math.random() * 2 ** 32)) : undefined;
  const text = sampleText(scripted, settings.temperature, seededRandom((settings.sampleSeed ?? sample!) ^ 0x5a3b1e));
  // Not cached: a sampled text is rarely asked for twice.
  const tokens = tokenize(text);
  return { settings, text, tokens, due: schedule(tokens.length, settings), ...(sample === undefined ? {} : { sample }) };
}

/**
 * Streams the reply's tokens from index `from`, paced. With `fail` set, the tokens end where the
 * simulated model fails: the transport then reports an error instead of the end of the reply.
 */
export function paced(reply: Reply, from = 0): PacedTokens {
  const end = failsAt(reply) ?? reply.tokens.length;
  return new PacedTokens(end < reply.tokens.length ? reply.tokens.slice(0, end) : reply.tokens, reply.due, from);
}

/**
 * An upstream model's reply before its generation starts: no tokens yet. The generation fills it
 * in (see `Reply.upstream`); `head` settles when it starts (a reply never generated never waits).
 */
function upstreamReply(settings: ReplySettings): Reply {
  return {
    settings,
    text: '',
    tokens: [],
    due: [],
    upstream: { model: settings.model!.slice('upstream/'.length), finished: false, error: null, head: Promise.resolve() },
  };
}

/**
 * The token index at which the model fails: the simulated model's `fail` setting, or where an
 * upstream model's stream failed. Null if the reply completes.
 */
export function failsAt(reply: Reply): number | null {
  if (reply.upstream) return reply.upstream.error ? reply.tokens.length : null;
  const fail = reply.settings.fail;
  return fail !== null && fail < reply.tokens.length ? fail : null;
}

/** What the model says when it fails (`fail=N`): the same words on every transport, and the same bytes each time. */
export function failureDetail(reply: Reply): string {
  const upstream = reply.upstream?.error;
  if (upstream) return upstreamDetail(upstream);
  return `The model failed after ${failsAt(reply)} tokens (the fail=${reply.settings.fail} setting).`;
}

/** An upstream failure in words: named as the upstream's, with its status and its own message. */
export function upstreamDetail(failure: UpstreamFailure): string {
  return `Upstream error${failure.status ? ` ${failure.status}` : ''}: ${failure.message}`;
}

export function summarize(reply: Reply): ReplySummary {
  return { tokens: reply.tokens.length, characters: [...reply.text].length, plannedMs: reply.due.at(-1) ?? 0 };
}

// BPE on a long pathological text takes a few hundred ms; a class of 60 asking for the same
// reply should pay it once.
const cache = new Map<string, readonly string[]>();
function tokenizeCached(text: string): readonly string[] {
  let tokens = cache.get(text);
  if (!tokens) {
    tokens = tokenize(text);
    if (cache.size >= 64) cache.delete(cache.keys().next().value as string);
    cache.set(text, tokens);
  }
  return tokens;
}
