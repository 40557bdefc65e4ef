import { tapPath, type TapEvent } from '../../../shared/tap.ts';
import { laneOfLeg, laneOfPath, type LaneId } from './lanes.ts';
import type { Run } from './Run.svelte.ts';
import { decodeBase64 } from '../wire/byteEvent.ts';

/**
 * Subscribes to `/api/tap?run=<id>` and files each connection's bytes under its lane, which is
 * known from the path of the connection's request. Resolves once the tap is listening, so the
 * race can start without missing a byte. Returns the function that stops listening.
 */
export function tapRun(run: Run): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const source = new EventSource(`${tapPath}?run=${encodeURIComponent(run.id)}`);
    const laneOf = new Map<number, LaneId>();
    /** Connections Streamscope opened as the client: their writes go up (the request), their reads come down. */
    const outgoing = new Set<number>();
    const opened = new Map<number, Extract<TapEvent, { type: 'open' }>>();
    const stop = (): void => source.close();

    source.onopen = () => resolve(stop);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) reject(new Error(`The wire tap (${tapPath}) is not reachable.`));
    };
    source.onmessage = (message) => {
      const event = JSON.parse(message.data) as TapEvent;
      if (event.type === 'dropped') {
        run.dropped += event.count;
        return;
      }
      if (event.type === 'open') {
        opened.set(event.conn, event);
        return;
      }
      if (event.type === 'request') {
        // A keep-alive connection may carry the next request for another lane (a reconnect
        // reusing the socket a finished stream left open): file what follows under that lane.
        if (event.outgoing) outgoing.add(event.conn);
        const id = event.outgoing ? laneOfLeg(event.outgoing) : laneOfPath(event.path);
        const lane = id && run.lane(id);
        if (!lane) {
          laneOf.delete(event.conn);
          return;
        }
        laneOf.set(event.conn, lane.id);
        if (lane.conns.has(event.conn)) return;
        const open = opened.get(event.conn);
        lane.addConn({
          conn: event.conn,
          method: event.method,
          path: event.path,
          remoteAddress: open?.remoteAddress ?? '',
          remotePort: open?.remotePort ?? 0,
          localPort: open?.localPort ?? 0,
          opened: open?.t ?? event.t,
        });
        return;
      }
      const id = laneOf.get(event.conn);
      const lane = id && run.lane(id);
      if (!lane) return;
      if (event.type === 'close') lane.closeConn(event.conn, event.t);
      else if (event.type === 'generation')
        lane.addGeneration({
          conn: event.conn,
          t: event.t,
          from: event.from,
          generated: event.generated,
          of: event.of,
          reason: event.reason,
          ...(event.runsOn ? { runsOn: true as const } : {}),
        });
      else
        lane.addWire({
          conn: event.conn,
          t: event.t,
          dir: (event.type === 'read') !== outgoing.has(event.conn) ? 'up' : 'down',
          bytes: decodeBase64(event.data),
          parts: event.type === 'write' ? event.parts : undefined,
        });
    };
  });
}
