import { Problem } from '../problem.ts';
import { prompts } from './prompts.ts';
import type { Pacing } from './schedule.ts';
import { padBounds, replyBounds, replyDefaults, runPattern, runRule, temperatureBounds } from '../../shared/replySettings.ts';

/** The reply settings every stream endpoint takes (README, "The HTTP API"). */
export interface ReplySettings extends Pacing {
  /** Id of a scripted prompt; ignored when `text` is given. */
  prompt: string;
  /** The caller's own text to stream instead of a scripted reply. */
  text: string | null;
  /** Ties the connection to a Run in the wire tap. */
  run: string | null;
  /**
   * Make the model fail after this many tokens (`null`: never), to show an error that comes after
   * the `200`: each transport then says so inside its stream (lesson 12). A reply with no more
   * tokens than this ends normally.
   */
  fail: number | null;
  /** 0: the scripted words; above 0 (to 2) the model samples its words (see `sample.ts`). */
  temperature: number;
  /** The `seed` when the request gave one: it seeds the sampling too; `null`: sampled at random. */
  sampleSeed: number | null;
  /**
   * `upstream/<id>`: the tokens come from that model of the configured upstream (a real model,
   * `STREAMSCOPE_UPSTREAM_URL`), not the simulated one; `null` (or `streamscope`): the simulated model.
   * Whether the upstream has the model is checked when the reply opens (`server/upstream/`).
   */
  model: string | null;
  /**
   * 0: token events leave as they are; 16 to 1024: every token event of an event stream is
   * padded with a comment line to a multiple of this many bytes (`padEvent`), so encrypted
   * record sizes no longer track token lengths. The tokens are the same.
   */
  pad: number;
}

const known = ['prompt', 'text', 'tps', 'ttft', 'jitter', 'seed', 'run', 'fail', 'temperature', 'model', 'pad'] as const;

/** What `model` may be: `upstream/` and an upstream's model id (printable ASCII, no spaces). */
export const upstreamModelPattern = /^upstream\/[\x21-\x7e]{1,200}$/;

/**
 * Reads and checks reply settings from a query string or a JSON object. Every value out of
 * bounds, of the wrong type, given twice or unknown is a Problem that names the parameter.
 * `alsoAllowed` lists other keys the caller handles itself (e.g. `type` in a WebSocket message).
 */
export function parseSettings(input: Record<string, unknown>, alsoAllowed: readonly string[] = []): ReplySettings {
  for (const key of Object.keys(input)) {
    if (!(known as readonly string[]).includes(key) && !alsoAllowed.includes(key)) {
      throw new Problem(400, `Unknown parameter "${key}". Known parameters: ${known.join(', ')}.`, key);
    }
  }
  const text = optionalString(input, 'text');
  if (text !== null) {
    if (text === '') throw new Problem(400, 'Parameter "text" is empty; give some text to stream, or leave it out to use a scripted prompt.', 'text');
    const length = countCodePoints(text);
    if (length > replyBounds.textMax) {
      throw new Problem(413, `Parameter "text" is ${length} characters long; the limit is ${replyBounds.textMax}.`, 'text');
    }
  }
  const prompt = optionalString(input, 'prompt');
  if (prompt !== null && text !== null) {
    throw new Problem(400, 'Give either "prompt" or "text", not both.', 'prompt');
  }
  if (prompt !== null && !prompts.some((p) => p.id === prompt)) {
    throw new Problem(404, `Unknown prompt "${prompt}". GET /api/prompts lists the ids: ${prompts.map((p) => p.id).join(', ')}.`, 'prompt');
  }
  const run = optionalString(input, 'run');
  if (run !== null && !runPattern.test(run)) {
    throw new Problem(400, `Parameter "run" must be ${runRule}.`, 'run');
  }
  const model = optionalString(input, 'model');
  if (model !== null && model !== 'streamscope' && !upstreamModelPattern.test(model)) {
    throw new Problem(
      400,
      `Parameter "model" must be "streamscope" (the simulated model, the default) or "upstream/<id>" (a model of the configured upstream; GET /v1/models lists them); got ${JSON.stringify(model)}.`,
      'model',
    );
  }
  return {
    prompt: prompt ?? replyDefaults.prompt,
    text,
    run,
    tps: number(input, 'tps', replyBounds.tps, replyDefaults.tps),
    ttft: number(input, 'ttft', replyBounds.ttft, replyDefaults.ttft),
    jitter: number(input, 'jitter', replyBounds.jitter, replyDefaults.jitter),
    seed: integer(input, 'seed', replyDefaults.seed),
    fail: wholeNumber(input, 'fail', replyBounds.fail),
    temperature: number(input, 'temperature', temperatureBounds, temperatureBounds.default),
    sampleSeed: given(input.seed) ? integer(input, 'seed', replyDefaults.seed) : null,
    model: model === 'streamscope' ? null : model,
    pad: padSetting(input),
  };
}

/** The settings as a query string with the API's own names, defaults left out. */
export function settingsQuery(settings: ReplySettings): string {
  const query = new URLSearchParams();
  if (settings.text !== null) query.set('text', settings.text);
  else if (settings.prompt !== replyDefaults.prompt) query.set('prompt', settings.prompt);
  for (const key of ['tps', 'ttft', 'jitter', 'seed'] as const) {
    if (settings[key] !== replyDefaults[key]) query.set(key, String(settings[key]));
  }
  if (settings.fail !== null) query.set('fail', String(settings.fail));
  if (settings.temperature !== temperatureBounds.default) query.set('temperature', String(settings.temperature));
  if (settings.model !== null) query.set('model', settings.model);
  if (settings.pad !== padBounds.default) query.set('pad', String(settings.pad));
  if (settings.run !== null) query.set('run', settings.run);
  return query.toString();
}

function given(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function countCodePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function single(input: Record<string, unknown>, key: string): unknown {
  const value = input[key];
  if (Array.isArray(value)) throw new Problem(400, `Parameter "${key}" is given ${value.length} times; give it once.`, key);
  return value;
}

function optionalString(input: Record<string, unknown>, key: string): string | null {
  const value = single(input, key);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new Problem(400, `Parameter "${key}" must be a string.`, key);
  return value;
}

function number(input: Record<string, unknown>, key: string, range: { min: number; max: number }, fallback: number): number {
  const value = single(input, key);
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < range.min || n > range.max) {
    throw new Problem(400, `Parameter "${key}" must be a number from ${range.min} to ${range.max}; got ${JSON.stringify(value)}.`, key);
  }
  return n;
}

function integer(input: Record<string, unknown>, key: string, fallback: number): number {
  const value = single(input, key);
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new Problem(400, `Parameter "${key}" must be an integer; got ${JSON.stringify(value)}.`, key);
  }
  return n;
}

/** `pad`: 0 (off, the default) or a whole number of bytes from 16 to 1024. */
function padSetting(input: Record<string, unknown>): number {
  const value = single(input, 'pad');
  if (value === undefined || value === null || value === '') return padBounds.default;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (n === 0 || (Number.isSafeInteger(n) && n >= padBounds.min && n <= padBounds.max)) return n;
  throw new Problem(
    400,
    `Parameter "pad" must be 0 (no padding) or a block size in bytes from ${padBounds.min} to ${padBounds.max}; got ${JSON.stringify(value)}.`,
    'pad',
  );
}

/** A whole number within `range`, or `null` when not given. */
function wholeNumber(input: Record<string, unknown>, key: string, range: { min: number; max: number }): number | null {
  const value = single(input, key);
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new Problem(400, `Parameter "${key}" must be a whole number of tokens from ${range.min} to ${range.max}; got ${JSON.stringify(value)}.`, key);
  }
  return n;
}
