import type { GenerationEnd } from '../../../shared/tap.ts';
import type { GenerationRecord } from './Run.svelte.ts';

/** What a lane says about the server's side of its reply: how far generation got, and why it stopped. */
export interface GenerationNote {
  /** The furthest token index any of the lane's responses generated up to (exclusive). */
  reached: number;
  /** Tokens in the whole reply. */
  of: number;
  /** Tokens the server never generated for this lane. */
  never: number;
  reason: GenerationEnd;
  /** One line for a person. */
  text: string;
}

const why: Record<Exclude<GenerationEnd, 'complete'>, string> = {
  'client closed': 'the client closed the connection',
  stopped: 'a "stop" message',
  failed: 'the model failed',
  cut: 'the connection was cut',
  'max tokens': 'max_tokens was reached',
};

/**
 * The note for the reports seen so far (`seen(t)`: reported by the cursor's time, server clock).
 * Nothing while the server is generating or once it has generated the whole reply: only a
 * generation that ended early is news. Over several connections (a resume), the furthest one counts.
 */
export function generationNote(records: readonly GenerationRecord[], seen: (t: number) => boolean = () => true): GenerationNote | undefined {
  let last: GenerationRecord | undefined;
  let reached = 0;
  for (const record of records) {
    if (!seen(record.t)) continue;
    last = record;
    reached = Math.max(reached, record.from + record.generated);
  }
  if (!last || last.reason === 'complete' || reached >= last.of) return undefined;
  const never = last.of - reached;
  if (last.runsOn) {
    const text = `this connection read ${reached} of ${last.of} tokens (${why[last.reason]}); the server generates on into its shared log, for a resume anywhere`;
    return { reached, of: last.of, never: 0, reason: last.reason, text };
  }
  const text = `server stopped after ${reached} of ${last.of} tokens: ${why[last.reason]}; ${never} never generated`;
  return { reached, of: last.of, never, reason: last.reason, text };
}
