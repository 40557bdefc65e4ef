import type { LaneRecord, Run } from './Run.svelte.ts';

/** What a lane shows at the cursor: the text so far and its figures. */
export interface LaneState {
  tokens: string[];
  status: 'idle' | 'waiting' | 'streaming' | 'done' | 'error';
  error?: string;
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
  writes: number;
  connections: number;
}

const encoder = new TextEncoder();

/** Index of the first element whose time is after `cursor` (arrays are in time order). */
export function countUntil<T>(items: readonly T[], time: (item: T) => number, cursor: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time(items[mid]!) <= cursor) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function laneState(run: Run, lane: LaneRecord, cursor: number): LaneState {
  void lane.version;
  const tokens: string[] = [];
  let status: LaneState['status'] = run.state === 'live' || cursor > 0 ? 'waiting' : 'idle';
  let error: string | undefined;
  let firstToken: number | undefined;
  let lastToken: number | undefined;
  let textBytes = 0;
  const appCount = countUntil(lane.app, (e) => run.pageTime(e.t), cursor);
  for (let i = 0; i < appCount; i++) {
    const e = lane.app[i]!;
    if (e.kind === 'token' && e.index !== undefined) {
      tokens[e.index] = e.text ?? '';
      textBytes += encoder.encode(e.text ?? '').length;
      firstToken ??= run.pageTime(e.t);
      lastToken = run.pageTime(e.t);
      status = 'streaming';
    } else if (e.kind === 'done') status = 'done';
    else if (e.kind === 'error') {
      error = e.detail;
      if (status !== 'done' && !/reconnect/.test(e.detail ?? '')) status = 'error';
    }
  }
  let bytesDown = 0;
  let bytesUp = 0;
  let writes = 0;
  let firstByte: number | undefined;
  const wireCount = countUntil(lane.wire, (e) => run.wireTime(e.t), cursor);
  for (let i = 0; i < wireCount; i++) {
    const e = lane.wire[i]!;
    if (e.dir === 'down') {
      bytesDown += e.bytes.length;
      writes++;
      firstByte ??= run.wireTime(e.t);
    } else bytesUp += e.bytes.length;
  }
  const count = tokens.filter((t) => t !== undefined).length;
  return {
    tokens,
    status,
    error,
    firstByte,
    firstToken,
    lastToken,
    bytesDown,
    bytesUp,
    textBytes,
    overheadPerToken: count > 0 ? (bytesDown + bytesUp - textBytes) / count : undefined,
    writes,
    connections: lane.conns.size,
  };
}
