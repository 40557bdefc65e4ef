import { padBounds, replyDefaults } from '../../../shared/replySettings.ts';

/** The reply settings, with the API's own names (README, "The HTTP API"). */
export interface Settings {
  /** A scripted prompt id; used when `text` is empty. */
  prompt: string;
  /** The learner's own text; empty means "use the prompt". */
  text: string;
  tps: number;
  ttft: number;
  jitter: number;
  seed: number;
  /** Make the model fail after this many tokens (lesson 12); unset or null: it does not. */
  fail?: number | null;
  /** 0 (unset): the scripted words; above 0 (to 2) the model samples its words. */
  temperature?: number;
  /**
   * A sampled reply is a new draw each time, as a real model's: the `seed` is not sent (it would
   * seed the words too, and any server could say them again). The load-balancer lab's "sampled" model.
   */
  randomDraw?: boolean;
  /**
   * `upstream/<id>`: a model of the server's upstream (a real model) says the reply, and every lane
   * reads its tokens; unset: the simulated model.
   */
  model?: string;
  /**
   * 0 (unset): token events leave as they are; 16 to 1024: the server pads every token event to a
   * multiple of this many bytes, so TLS record sizes stop telling token lengths (the lesson on
   * what a chat product really sends).
   */
  pad?: number;
}

export const defaultSettings: Settings = {
  prompt: replyDefaults.prompt,
  text: '',
  tps: replyDefaults.tps,
  ttft: replyDefaults.ttft,
  jitter: replyDefaults.jitter,
  seed: replyDefaults.seed,
};

/** The stream endpoints' query string for these settings and a run id. */
export function settingsQuery(settings: Settings, run?: string): URLSearchParams {
  const query = new URLSearchParams();
  if (settings.text) query.set('text', settings.text);
  else query.set('prompt', settings.prompt);
  query.set('tps', String(settings.tps));
  query.set('ttft', String(settings.ttft));
  query.set('jitter', String(settings.jitter));
  if (settings.temperature) query.set('temperature', String(settings.temperature));
  if (!(settings.temperature && settings.randomDraw)) query.set('seed', String(settings.seed));
  if (settings.fail !== undefined && settings.fail !== null) query.set('fail', String(settings.fail));
  if (settings.model) query.set('model', settings.model);
  if (settings.pad) query.set('pad', String(settings.pad));
  if (run) query.set('run', run);
  return query;
}

/** Settings from a page URL's query string; anything missing or unreadable keeps its default. */
export function settingsFromQuery(query: URLSearchParams, base: Settings = defaultSettings): Settings {
  const num = (key: 'tps' | 'ttft' | 'jitter' | 'seed'): number => {
    const raw = query.get(key);
    const n = raw === null || raw.trim() === '' ? NaN : Number(raw);
    return Number.isFinite(n) ? n : base[key];
  };
  const settings: Settings = {
    prompt: query.get('prompt') ?? base.prompt,
    text: query.get('text') ?? base.text,
    tps: num('tps'),
    ttft: num('ttft'),
    jitter: num('jitter'),
    seed: num('seed'),
  };
  const temperature = Number(query.get('temperature'));
  if (temperature > 0 && temperature <= 2) {
    settings.temperature = temperature;
    // Sampled with no seed: a new draw each run (what `settingsQuery` writes for `randomDraw`).
    if (!query.has('seed')) settings.randomDraw = true;
  }
  // Only when asked for: a page without it streams whole replies.
  const fail = query.get('fail');
  if (fail !== null && /^\d+$/.test(fail.trim())) settings.fail = Number(fail);
  else if (base.fail !== undefined) settings.fail = base.fail;
  const model = query.get('model') ?? base.model;
  if (model && model.startsWith('upstream/')) settings.model = model;
  const pad = query.get('pad');
  if (pad !== null && /^\d+$/.test(pad.trim())) {
    const n = Number(pad);
    if (n >= padBounds.min && n <= padBounds.max) settings.pad = n;
  } else if (base.pad !== undefined) settings.pad = base.pad;
  return settings;
}
