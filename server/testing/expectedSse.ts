import { replyFor, summarize } from '../model/reply.ts';
import { parseSettings } from '../model/settings.ts';

/**
 * The SSE text the server must send for a reply, written out by hand from the README ("The HTTP
 * API", `GET /api/stream/sse`) rather than by the server's own encoder.
 */
export function expectedSse(settings: Record<string, unknown>): string {
  const reply = replyFor(parseSettings(settings));
  const tokens = reply.tokens.map((text, index) => `id: ${index}\nevent: token\ndata: ${JSON.stringify({ index, text })}\n\n`);
  return `retry: 1000\n\n${tokens.join('')}event: done\ndata: ${JSON.stringify(summarize(reply))}\n\n`;
}
