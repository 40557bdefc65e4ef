/**
 * The reply every benchmarked stream asks for: real prose tokens at a fixed rate with no jitter,
 * so the client knows when each token is due without asking the server.
 */
import { replyFor } from '../../server/model/reply.ts';
import { parseSettings, settingsQuery } from '../../server/model/settings.ts';

/** The longest scripted reply: its tokens are cycled for streams longer than it. */
const source = replyFor(parseSettings({ prompt: 'on-the-wire' })).tokens;

/**
 * The query string of a reply whose last token is due `durationMs` after the first, at `tps`
 * tokens per second, starting at once (ttft 0), tied to `run` in the tap.
 */
export function workloadQuery(durationMs: number, tps: number, run: string | null): string {
  const count = Math.round((durationMs * tps) / 1000) + 1;
  const pieces = Array.from({ length: count }, (_, i) => source[i % source.length]!);
  return settingsQuery(parseSettings({ text: pieces.join(''), tps: String(tps), ttft: '0', jitter: '0', ...(run === null ? {} : { run }) }));
}

/** When each token of the reply `query` asks for is due, ms after the stream starts (as the server schedules it). */
export function dueTimes(query: string): readonly number[] {
  return replyFor(parseSettings(Object.fromEntries(new URLSearchParams(query)))).due;
}

/** The WebSocket `start` message asking for the same reply. */
export function startMessage(query: string): string {
  return JSON.stringify({ type: 'start', ...Object.fromEntries(new URLSearchParams(query)) });
}
