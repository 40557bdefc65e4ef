import type { AppEvent } from '../transports/types.ts';
import { utf8Length } from '../wire/format.ts';

/**
 * What went wrong with a lane's connection, as a state rather than a message: `lost` while the
 * client is reconnecting by itself (EventSource), `resumed` once data flows again after a loss,
 * `failed` once the reply ended in an error. Only `lost` and `failed` are the lane being broken.
 */
export interface LaneTrouble {
  state: 'lost' | 'resumed' | 'failed';
  /** What the page's code reported (the last loss, or the failure). */
  detail: string;
  /** Tokens received when the connection was last lost, or when it failed. */
  afterTokens: number;
  /** Times the connection was lost and the client reconnected by itself. */
  drops: number;
}

export interface AppTotals {
  tokens: number;
  /** UTF-8 bytes of the token texts. */
  textBytes: number;
  status: 'waiting' | 'streaming' | 'done' | 'error';
  trouble: LaneTrouble | undefined;
}

export const noAppTotals: AppTotals = { tokens: 0, textBytes: 0, status: 'waiting', trouble: undefined };

/** The lane's app totals after one more event of the page's code. */
export function nextAppTotals(before: AppTotals, event: AppEvent): AppTotals {
  const next: AppTotals = { ...before };
  const trouble = before.trouble;
  switch (event.kind) {
    case 'token':
      next.tokens++;
      next.textBytes += utf8Length(event.text ?? '');
      next.status = 'streaming';
      break;
    case 'done':
      next.status = 'done';
      break;
    case 'reconnecting':
      next.trouble = { state: 'lost', detail: event.detail ?? 'connection lost', afterTokens: before.tokens, drops: (trouble?.drops ?? 0) + 1 };
      return next;
    case 'error':
      next.status = 'error';
      next.trouble = { state: 'failed', detail: event.detail ?? 'the stream failed', afterTokens: before.tokens, drops: trouble?.drops ?? 0 };
      return next;
  }
  // A new response (EventSource's `open`), a token or the end after a loss: the lane is back.
  if (trouble?.state === 'lost' && (event.kind === 'open' || event.kind === 'token' || event.kind === 'done')) next.trouble = { ...trouble, state: 'resumed' };
  return next;
}

/** The line a lane shows under its bubble about its connection; `broken` while it is lost or failed. */
export function troubleNote(trouble: LaneTrouble | undefined): { text: string; broken: boolean } | undefined {
  if (!trouble) return undefined;
  const after = trouble.afterTokens === 0 ? 'before the first token' : `after token ${trouble.afterTokens}`;
  switch (trouble.state) {
    case 'lost':
      return { text: `Connection lost ${after}; the client is reconnecting with Last-Event-ID…`, broken: true };
    case 'resumed':
      return {
        text:
          trouble.drops > 1
            ? `Connection lost ${trouble.drops} times, reconnected each time (last ${after}); the reply resumed from Last-Event-ID.`
            : `Connection lost ${after}, then reconnected; the reply resumed from Last-Event-ID.`,
        broken: false,
      };
    case 'failed':
      return { text: trouble.afterTokens === 0 ? trouble.detail : `${trouble.detail} (${after})`, broken: true };
  }
}
