/**
 * Broadcast follow from the page's side (README "Classroom mode"). The presenter's page turns its
 * live run into records as they come (`RunCursor`: what is new since the last batch), and each
 * watching follower rebuilds the same run from them (`BroadcastBuilder`), feeding the same
 * `addConn`/`addWire`/`addApp`/`addGeneration`/`closeConn` calls a run of its own would, with the
 * presenter's times, so every view (lanes, wire, timeline) and the player work as for any run.
 */
import type { BroadcastBatch, BroadcastRecord } from '../../../shared/broadcast.ts';
import type { AppEvent } from '../transports/types.ts';
import { decodeBase64, encodeBase64 } from '../wire/byteEvent.ts';
import { laneIds, type LaneId } from './lanes.ts';
import { Run, type ConnInfo, type GenerationRecord } from './Run.svelte.ts';
import { defaultSettings, type Settings } from './settings.ts';

/** How often the presenter's page sends what its run recorded, in ms. */
export const publishEveryMs = 200;

/**
 * How far behind the newest batch a follower's live cursor runs, beyond the least delay seen: a
 * batch can hold up to `publishEveryMs` of records, and the network adds its own jitter.
 */
export const watchBehindMs = publishEveryMs + 150;

/** What a run recorded since the last `take()`, as broadcast records. Arrays of a run only grow, so counts are enough. */
export class RunCursor {
  readonly run: Run;
  #started = false;
  #ended = false;
  #offset: number | null = null;
  #uncertainty: number | null = null;
  #dropped = 0;
  readonly #lanes = new Map<LaneId, { wire: number; app: number; generation: number; conns: Set<number>; closed: Set<number> }>();

  constructor(run: Run) {
    this.run = run;
  }

  /** The `end` record has been taken: nothing more will come. */
  get done(): boolean {
    return this.#ended;
  }

  take(): BroadcastRecord[] {
    const run = this.run;
    const records: BroadcastRecord[] = [];
    if (this.#ended) return records;
    if (!this.#started) {
      this.#started = true;
      records.push({ type: 'start', id: run.id, settings: { ...run.settings }, lanes: run.lanes.map((l) => l.id), startedAt: run.startedAt });
    }
    for (const lane of run.lanes) {
      let sent = this.#lanes.get(lane.id);
      if (!sent) this.#lanes.set(lane.id, (sent = { wire: 0, app: 0, generation: 0, conns: new Set(), closed: new Set() }));
      for (const info of lane.conns.values()) {
        if (sent.conns.has(info.conn)) continue;
        sent.conns.add(info.conn);
        const { closed: _closed, ...open } = info;
        records.push({ type: 'conn', lane: lane.id, info: { ...open } });
      }
      const wire = lane.wire;
      for (; sent.wire < wire.length; sent.wire++) {
        const { t, conn, dir, bytes, parts } = wire[sent.wire]!;
        records.push({ type: 'wire', lane: lane.id, t, conn, dir, data: encodeBase64(bytes), ...(parts ? { parts } : {}) });
      }
      const app = lane.app;
      for (; sent.app < app.length; sent.app++) records.push({ type: 'app', lane: lane.id, event: { ...app[sent.app]! } });
      const generation = lane.generation;
      for (; sent.generation < generation.length; sent.generation++)
        records.push({ type: 'generation', lane: lane.id, record: { ...generation[sent.generation]! } });
      for (const info of lane.conns.values()) {
        if (info.closed === undefined || sent.closed.has(info.conn)) continue;
        sent.closed.add(info.conn);
        records.push({ type: 'close', lane: lane.id, conn: info.conn, t: info.closed });
      }
    }
    if (run.offset !== this.#offset || run.offsetUncertainty !== this.#uncertainty) {
      this.#offset = run.offset;
      this.#uncertainty = run.offsetUncertainty;
      records.push({ type: 'clock', offset: run.offset, offsetUncertainty: run.offsetUncertainty });
    }
    if (run.dropped > this.#dropped) {
      records.push({ type: 'dropped', count: run.dropped - this.#dropped });
      this.#dropped = run.dropped;
    }
    if (run.state !== 'live') {
      this.#ended = true;
      records.push({ type: 'end' });
    }
    return records;
  }
}

/**
 * Rebuilds the presenter's run from the broadcast: `reset()` on each `run` event, `apply()` on
 * each batch. A record it cannot read is skipped (a page of another version), not fatal.
 */
export class BroadcastBuilder {
  run: Run | null = null;
  /** The least (arrival − sentAt) seen in this run: the clocks' difference plus the quickest delivery. */
  #lag = Infinity;

  /** A new run begins: the one before is done with. */
  reset(): void {
    this.run = null;
    this.#lag = Infinity;
  }

  /** Applies one batch that arrived at `receivedAt` (this tab's clock); returns the run (new when the batch started one). */
  apply(batch: BroadcastBatch, receivedAt: number): Run | null {
    for (const record of batch.records) {
      try {
        this.#record(record, batch.run);
      } catch {
        // Skipped: what the views cannot read, they should not get.
      }
    }
    const run = this.run;
    if (run && run.id === batch.run && Number.isFinite(batch.sentAt)) {
      this.#lag = Math.min(this.#lag, receivedAt - batch.sentAt);
      run.clockShift = this.#lag + watchBehindMs;
    }
    return run;
  }

  #record(record: BroadcastRecord, id: string): void {
    if (record.type === 'start') {
      const lanes = record.lanes.filter((l): l is LaneId => (laneIds as string[]).includes(l));
      this.run = new Run(record.id, { ...defaultSettings, ...(record.settings as Partial<Settings>) }, lanes, record.startedAt);
      this.#lag = Infinity;
      return;
    }
    const run = this.run;
    if (!run || run.id !== id) return;
    switch (record.type) {
      case 'clock':
        run.offset = record.offset;
        run.offsetUncertainty = record.offsetUncertainty;
        return;
      case 'dropped':
        run.dropped += record.count;
        return;
      case 'end':
        run.state = 'ended';
        return;
    }
    const lane = run.lane(record.lane as LaneId);
    if (!lane) return;
    switch (record.type) {
      case 'conn':
        lane.addConn({ ...(record.info as unknown as ConnInfo) });
        return;
      case 'close':
        lane.closeConn(record.conn, record.t);
        return;
      case 'wire':
        lane.addWire({ t: record.t, conn: record.conn, dir: record.dir, bytes: decodeBase64(record.data), parts: record.parts });
        return;
      case 'app':
        lane.addApp(record.event as unknown as AppEvent);
        return;
      case 'generation':
        lane.addGeneration(record.record as unknown as GenerationRecord);
        return;
    }
  }
}
