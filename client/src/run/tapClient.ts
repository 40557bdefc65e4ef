import { tapPath, type TapClose, type TapEvent, type TapGeneration, type TapOpen, type TapRead, type TapRequest, type TapWrite } from '../../../shared/tap.ts';
import { laneOfLeg, laneOfPath, type LaneId } from './lanes.ts';
import type { Run } from './Run.svelte.ts';
import { decodeBase64 } from '../wire/byteEvent.ts';

export interface TapOptions {
  /** The origin whose tap to read (the HTTPS port's, from a page on the plain port). @default this page's */
  origin?: string;
  /** Opens the tap with credentials (`EventSource`'s `withCredentials`). @default false */
  withCredentials?: boolean;
  /** Told of each request the tap reports (its connection, and on HTTP/2 its stream), with the connection's `open`. */
  onRequest?(request: TapRequest, open: TapOpen | undefined): void;
}

/**
 * Subscribes to `/api/tap?run=<id>` and files each connection's bytes under its lane, which is
 * known from the path of the connection's request. Resolves once the tap is listening, so the
 * race can start without missing a byte. Returns the function that stops listening.
 */
export function tapRun(run: Run, { origin = '', withCredentials = false, onRequest }: TapOptions = {}): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const source = new EventSource(`${origin}${tapPath}?run=${encodeURIComponent(run.id)}`, { withCredentials });
    const laneOf = new Map<number, LaneId>();
    /** Connections Streamscope opened as the client: their writes go up (the request), their reads come down. */
    const outgoing = new Set<number>();
    const opened = new Map<number, Extract<TapEvent, { type: 'open' }>>();
    /** Events of an HTTP/2 connection that came before its first request named its lane. */
    const early = new Map<number, (TapRead | TapWrite | TapClose | TapGeneration)[]>();
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
        // An HTTP/2 connection a run joins is replayed from its start before the run's request.
        if (event.protocol === 'h2' && !event.layer) early.set(event.conn, []);
        return;
      }
      if (event.type === 'request') {
        const h2 = opened.get(event.conn)?.protocol === 'h2';
        onRequest?.(event, opened.get(event.conn));
        // HTTP/2 multiplexes: the connection stays under the lane of its first request.
        if (h2 && laneOf.has(event.conn)) return;
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
          ...(open?.protocol ? { protocol: open.protocol } : {}),
        });
        for (const held of early.get(event.conn) ?? []) file(held);
        early.delete(event.conn);
        return;
      }
      const held = early.get(event.conn);
      // Bounded: a connection none of whose requests is a lane's is not kept.
      if (held && held.length < 20_000) held.push(event);
      file(event);
    };

    /** Files a connection's bytes, close and generation reports under its lane, once known. */
    function file(event: TapRead | TapWrite | TapClose | TapGeneration): void {
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
    }
  });
}
