import type { LaneRecord, Run } from './Run.svelte.ts';
import { troubleNote } from './appTotals.ts';
import { countUntil, firstIndex } from './search.ts';

/** What a lane shows at the cursor. Every figure is a lookup in the lane's running totals. */
export interface LaneState {
  /** Tokens the page's code had received (the first `tokens` of `lane.tokens`). */
  tokens: number;
  status: 'idle' | 'waiting' | 'streaming' | 'done' | 'error';
  /** What happened to the connection (see `troubleNote`); `broken` while it is lost or failed. */
  note?: { text: string; broken: boolean };
  /** ms after Start; undefined until it happens. */
  firstByte?: number;
  firstToken?: number;
  lastToken?: number;
  bytesDown: number;
  bytesUp: number;
  /** UTF-8 bytes of reply text received. */
  textBytes: number;
  /** Every byte on the wire that is not reply text, per token. */
  overheadPerToken?: number;
}

export function laneState(run: Run, lane: LaneRecord, cursor: number): LaneState {
  const appCount = countUntil(lane.app, (e) => run.pageTime(e.t), cursor);
  const app = lane.totals.app[appCount - 1];
  const wireCount = countUntil(lane.wire, (e) => run.wireTime(e.t), cursor);
  const wire = lane.totals.wire[wireCount - 1] ?? { down: 0, up: 0, writes: 0 };
  const tokens = app?.tokens ?? 0;
  const tokenTime = (n: number): number | undefined => {
    if (n <= 0) return undefined;
    const i = firstIndex(lane.totals.app, (t) => t.tokens >= n);
    return i < 0 ? undefined : run.pageTime(lane.app[i]!.t);
  };
  const firstDown = firstIndex(lane.totals.wire, (t) => t.writes > 0);
  return {
    tokens,
    status: app?.status ?? (cursor > 0 || run.state === 'live' ? 'waiting' : 'idle'),
    note: troubleNote(app?.trouble),
    firstByte: firstDown >= 0 && firstDown < wireCount ? run.wireTime(lane.wire[firstDown]!.t) : undefined,
    firstToken: tokenTime(Math.min(tokens, 1)),
    lastToken: tokenTime(tokens),
    bytesDown: wire.down,
    bytesUp: wire.up,
    textBytes: app?.textBytes ?? 0,
    overheadPerToken: tokens > 0 ? (wire.down + wire.up - (app?.textBytes ?? 0)) / tokens : undefined,
  };
}
