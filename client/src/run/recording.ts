import type { AppEvent } from '../transports/types.ts';
import { laneIds, type LaneId } from './lanes.ts';
import { Run, type ConnInfo, type GenerationRecord, type LaneOrigin, type WireEvent } from './Run.svelte.ts';
import { SecretHeaderScanner, SecretQueryScanner, allSecrets, type SecretFinder } from '../../../shared/secretHeaders.ts';
import { defaultSettings, type Settings } from './settings.ts';
import { decodeBase64, encodeBase64 } from '../wire/byteEvent.ts';
import type { Direction } from '../wire/types.ts';

/** A Run as JSON: what the tap and the page recorded, enough to replay it with no server. */
export interface Recording {
  format: 'streamscope-recording';
  version: 1;
  id: string;
  settings: Settings;
  startedAt: number;
  offset: number;
  offsetUncertainty: number | null;
  lanes: {
    id: LaneId;
    conns: ConnInfo[];
    wire: { t: number; conn: number; dir: Direction; data: string; parts?: number[] }[];
    app: AppEvent[];
    /** How the server's generation ended per response (recordings made before it have none). */
    generation?: GenerationRecord[];
    /** A lane opened from a HAR: its title and note (recordings of runs have none). */
    origin?: LaneOrigin;
  }[];
}

export interface RecordingOptions {
  /**
   * Keep the values of Authorization, Cookie, Set-Cookie and x-api-key headers (and of the
   * `header=` parameters an inspected request's headers ride in) as they crossed the wire. Off,
   * they are replaced by `*`, byte for byte, so every size in the recording still adds up.
   * @default false
   */
  includeSecrets?: boolean;
}

/** Each wire event's bytes with the secrets masked, scanned per connection and direction in order. */
function maskedWire(wire: readonly WireEvent[]): Uint8Array[] {
  const finders = new Map<string, SecretFinder>();
  return wire.map(({ conn, dir, bytes }) => {
    const key = `${conn}:${dir}`;
    let finder = finders.get(key);
    if (!finder) finders.set(key, (finder = allSecrets(new SecretHeaderScanner(), new SecretQueryScanner())));
    const ranges = finder.scan(bytes);
    if (ranges.length === 0) return bytes;
    const copy = bytes.slice();
    for (const [start, end] of ranges) copy.fill(0x2a, start, end);
    return copy;
  });
}

export function toRecording(run: Run, { includeSecrets = false }: RecordingOptions = {}): Recording {
  return {
    format: 'streamscope-recording',
    version: 1,
    id: run.id,
    settings: run.settings,
    startedAt: run.startedAt,
    offset: run.offset,
    offsetUncertainty: run.offsetUncertainty,
    lanes: run.lanes.map((lane) => {
      const bytes = includeSecrets ? lane.wire.map((e) => e.bytes) : maskedWire(lane.wire);
      return {
        id: lane.id,
        conns: [...lane.conns.values()],
        wire: lane.wire.map(({ t, conn, dir, parts }, i) => ({ t, conn, dir, data: encodeBase64(bytes[i]!), ...(parts ? { parts } : {}) })),
        app: [...lane.app],
        generation: [...lane.generation],
        ...(lane.origin ? { origin: { ...lane.origin } } : {}),
      };
    }),
  };
}

/** Rebuilds a Run from a recording, checking its shape; throws an Error that says what is wrong. */
export function fromRecording(value: unknown): Run {
  const r = value as Partial<Recording> | null;
  if (!r || r.format !== 'streamscope-recording') throw new Error('This file is not a Streamscope recording (no "format": "streamscope-recording").');
  if (r.version !== 1) throw new Error(`Recording version ${String(r.version)} is not supported; this page reads version 1.`);
  if (!Array.isArray(r.lanes) || typeof r.startedAt !== 'number') throw new Error('The recording has no lanes or no start time.');
  const lanes = r.lanes.filter((l) => laneIds.includes(l.id));
  const run = new Run(
    String(r.id ?? 'replay'),
    { ...defaultSettings, ...r.settings },
    lanes.map((l) => l.id),
    r.startedAt,
  );
  run.offset = typeof r.offset === 'number' ? r.offset : 0;
  run.offsetUncertainty = typeof r.offsetUncertainty === 'number' ? r.offsetUncertainty : null;
  for (const saved of lanes) {
    const lane = run.lane(saved.id)!;
    for (const conn of saved.conns ?? []) lane.addConn(conn);
    for (const e of saved.wire ?? []) lane.addWire({ t: e.t, conn: e.conn, dir: e.dir, bytes: decodeBase64(e.data), parts: e.parts });
    for (const e of saved.app ?? []) lane.addApp(legacyApp(e));
    for (const g of saved.generation ?? []) lane.addGeneration(g);
    if (saved.origin && typeof saved.origin.title === 'string') lane.origin = { ...saved.origin };
  }
  run.state = 'replay';
  return run;
}

/**
 * Recordings made before `reconnecting` was its own kind logged EventSource's reconnects as an
 * `error` whose detail says so; read them as what they were.
 */
function legacyApp(e: AppEvent): AppEvent {
  return e.kind === 'error' && /reconnects with Last-Event-ID/.test(e.detail ?? '') ? { ...e, kind: 'reconnecting' } : e;
}

export function downloadRecording(run: Run, options: RecordingOptions = {}): void {
  const blob = new Blob([JSON.stringify(toRecording(run, options))], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `streamscope-${run.id}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
