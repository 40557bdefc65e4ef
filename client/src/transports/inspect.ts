import { createParser } from 'eventsource-parser';
import type { LaneClient } from './types.ts';
import { feedParser } from './feedParser.ts';
import { inspectTarget, type InspectTarget } from '../run/inspectTarget.svelte.ts';

/**
 * Any event stream, through the server (`GET /api/inspect/sse`): fetch + the same SSE parser the
 * chat lanes use. Each event is one "token" of the lane, its name (if any) and its data; a refusal
 * is the problem's `detail`, shown in the lane and the panel.
 */
export const inspectClient =
  (target: InspectTarget): LaneClient =>
  async (_settings, run, emit, signal) => {
    target.error = null;
    emit({ kind: 'request' });
    try {
      const response = await fetch(`/api/inspect/sse?${target.query(run)}`, { signal });
      if (response.headers.get('content-type')?.startsWith('application/problem+json')) {
        const problem = (await response.json().catch(() => ({}))) as { detail?: string };
        target.error = problem.detail ?? `HTTP ${response.status}`;
        return emit({ kind: 'error', detail: target.error });
      }
      emit({ kind: 'open' });
      if (!response.ok) {
        target.error = `The inspected URL answered ${response.status} ${response.statusText}.`;
        await response.body?.cancel();
        return emit({ kind: 'error', detail: target.error });
      }
      let index = 0;
      const parser = createParser({
        onEvent: (event) => emit({ kind: 'token', index: index++, text: `${event.event ? `[${event.event}] ` : ''}${event.data}\n` }),
      });
      if (response.body) await feedParser(response.body.getReader(), parser);
      emit({ kind: 'done' });
    } catch (error) {
      if (signal.aborted) return emit({ kind: 'done', detail: 'stopped: the page aborted the fetch' });
      target.error = String(error);
      emit({ kind: 'error', detail: target.error });
    }
  };

/** The inspect lane's client: the panel's target. */
export const inspectLane: LaneClient = inspectClient(inspectTarget);
