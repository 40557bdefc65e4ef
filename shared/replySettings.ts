/**
 * The reply settings' defaults and bounds, and what a run id may be: the API's contract
 * (README, "The HTTP API"), checked by the server and offered by the page. `GET /api/prompts`
 * sends `replyDefaults` and `replyBounds` as they are, so their key order is part of its bytes.
 */
export const replyDefaults = {
  /** The scripted prompt a request without `prompt` or `text` gets. */
  prompt: 'what-is-sse',
  tps: 20,
  ttft: 600,
  jitter: 0.3,
  seed: 1,
} as const;

export const replyBounds = {
  tps: { min: 0.5, max: 1000 },
  ttft: { min: 0, max: 30_000 },
  jitter: { min: 0, max: 1 },
  /** Tokens before the simulated failure. */
  fail: { min: 0, max: 100_000 },
  /** Characters (code points) of `text`. */
  textMax: 20_000,
} as const;

/**
 * The `temperature` setting: 0 (the default) streams the scripted reply word for word, above 0
 * the simulated model samples its words. Kept apart from `replyBounds`, whose bytes
 * `GET /api/prompts` sends as they are.
 */
export const temperatureBounds = { min: 0, max: 2, default: 0 } as const;

/**
 * The `pad` setting: 0 (the default) leaves the bytes as they are; otherwise a block size, and
 * every token event of an event stream is padded with one comment line to a multiple of it, so
 * the sizes of the TLS records that carry them stop telling the token lengths (the side channel
 * of "What Was Your Prompt? A Remote Keylogging Attack on AI Assistants", Weiss et al., USENIX
 * Security 2024; OpenAI answered with the random-length `obfuscation` field in its stream chunks).
 * Kept apart from `replyBounds`, whose bytes `GET /api/prompts` sends as they are.
 */
export const padBounds = { min: 16, max: 1024, default: 0 } as const;

/** What a `run` id may be: short, and safe in a URL and a file name. */
export const runPattern = /^[A-Za-z0-9_-]{1,64}$/;
/** `runPattern` in words, for the error that rejects an id. */
export const runRule = '1 to 64 letters, digits, "-" or "_"';
