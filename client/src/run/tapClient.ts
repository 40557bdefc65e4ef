import { tapPath, type TapEvent, type TapOpen, type TapRequest } from '../../../shared/tap.ts';
import { laneOfLeg, laneOfPath, type LaneId } from './lanes.ts';
import type { LaneRecord, Run } from './Run.svelte.ts';
import { decodeBase64 } from '../wire/byteEvent.ts';

type ConnEvent = Exclude<TapEvent, { type: 'open' } | { type: 'request' } | { type: 'dropped' }>;

/** ms before the request that joined a connection: bytes older than that are an earlier run's (see `replay`). */
const earlierThanRun = 500;

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
 *
 * Connections on the HTTPS port come as two (see `TapLayer` in `shared/tap.ts`): the plaintext,
 * filed under the lane of its request like any other, and its TLS records, filed under the same
 * lane's network record (`LaneRecord.network`). A request over TLS belongs to a lane that opens
 * its streams on the HTTPS origin (`secure` in `lanes.ts`), unless the page itself is on HTTPS
 * (then every lane is). An HTTP/2 connection may carry several lanes' streams: each lane gets the
 * whole connection (its frames of other lanes' streams are left out of its view, not of its
 * dissector), and the tap sends such a connection's bytes (and its records) before the request
 * that made this run join it, so they are held until then.
 */
export function tapRun(run: Run, { origin = '', withCredentials = false, onRequest }: TapOptions = {}): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const source = new EventSource(`${origin}${tapPath}?run=${encodeURIComponent(run.id)}`, { withCredentials });
    const pageSecure = typeof location !== 'undefined' && location.protocol === 'https:';
    /** HTTP/1.1 connections (plain or inside TLS): the lane of the request they carry now. */
    const laneOf = new Map<number, LaneId>();
    /** HTTP/2 connections: every lane with a stream on them. */
    const sharedBy = new Map<number, Set<LaneId>>();
    /** TLS records' connections: the lanes whose plaintext they carry. */
    const networkOf = new Map<number, Set<LaneId>>();
    /** HTTP/2 and TLS-record connections: what they carried so far, for a lane that joins later. */
    const history = new Map<number, ConnEvent[]>();
    /** Connections Streamscope opened as the client: their writes go up (the request), their reads come down. */
    const outgoing = new Set<number>();
    const opened = new Map<number, TapOpen>();
    const stop = (): void => source.close();

    const file = (lane: LaneRecord, event: ConnEvent, context = false): void => {
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
        lane.addWire(
          {
            conn: event.conn,
            t: event.t,
            dir: (event.type === 'read') !== outgoing.has(event.conn) ? 'up' : 'down',
            bytes: decodeBase64(event.data),
            parts: event.type === 'write' ? event.parts : undefined,
          },
          context,
        );
    };

    /**
     * Replays what a connection carried before `lane` joined it. Bytes from well before the
     * request that joined it (an earlier run on a reused HTTP/2 connection) are context, not
     * this run's: a connection opened for this request sends its preface and SETTINGS within
     * moments of it.
     */
    const replay = (lane: LaneRecord, conn: number, joinedAt: number): void => {
      for (const held of history.get(conn) ?? []) file(lane, held, held.t < joinedAt - earlierThanRun);
    };

    /** The network record of `lane` learns of TLS connection `conn`, and gets what it carried so far. */
    const joinNetwork = (lane: LaneRecord, conn: number, joinedAt: number): void => {
      let lanes = networkOf.get(conn);
      if (!lanes) networkOf.set(conn, (lanes = new Set()));
      if (lanes.has(lane.id)) return;
      lanes.add(lane.id);
      const network = lane.networkRecord();
      const open = opened.get(conn);
      if (open) network.addConn(connInfo(open, conn, 'TLS', '', open.t));
      replay(network, conn, joinedAt);
    };

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
        if (event.layer === 'tls' || event.protocol === 'h2') history.set(event.conn, history.get(event.conn) ?? []);
        // Records whose plaintext a lane already has: the lane's network view gets the connection.
        for (const id of networkOf.get(event.conn) ?? []) {
          const network = run.lane(id)?.networkRecord();
          if (network && !network.conns.has(event.conn)) network.addConn(connInfo(event, event.conn, 'TLS', '', event.t));
        }
        return;
      }
      if (event.type === 'request') {
        if (event.outgoing) outgoing.add(event.conn);
        const open = opened.get(event.conn);
        onRequest?.(event, open);
        const secure = open?.tls !== undefined && !pageSecure;
        const id = event.outgoing ? laneOfLeg(event.outgoing) : laneOfPath(event.path, secure);
        const lane = id && run.lane(id);
        if (open?.protocol === 'h2') {
          if (!lane) return;
          let lanes = sharedBy.get(event.conn);
          if (!lanes) sharedBy.set(event.conn, (lanes = new Set()));
          lane.addStream(event.conn, event.stream ?? 0);
          if (!lanes.has(lane.id)) {
            lanes.add(lane.id);
            lane.addConn({
              ...connInfo(open, event.conn, event.method, event.path, open.t),
              protocol: 'h2',
              ...(open.tls !== undefined ? { tls: open.tls } : {}),
            });
            replay(lane, event.conn, event.t);
          }
          if (open.tls !== undefined) joinNetwork(lane, open.tls, event.t);
          return;
        }
        // A keep-alive connection may carry the next request for another lane (a reconnect
        // reusing the socket a finished stream left open): file what follows under that lane.
        if (!lane) {
          laneOf.delete(event.conn);
          return;
        }
        laneOf.set(event.conn, lane.id);
        if (open?.tls !== undefined) joinNetwork(lane, open.tls, event.t);
        if (lane.conns.has(event.conn)) return;
        lane.addConn({
          ...connInfo(open, event.conn, event.method, event.path, event.t),
          ...(open?.protocol ? { protocol: open.protocol } : {}),
          ...(open?.tls !== undefined ? { tls: open.tls } : {}),
        });
        return;
      }
      const kept = history.get(event.conn);
      if (kept) kept.push(event);
      if (event.type !== 'generation' && event.layer === 'tls') {
        for (const id of networkOf.get(event.conn) ?? []) {
          const lane = run.lane(id);
          if (lane) file(lane.networkRecord(), event);
        }
        return;
      }
      const shared = sharedBy.get(event.conn);
      if (shared) {
        for (const id of shared) {
          const lane = run.lane(id);
          if (lane) file(lane, event);
        }
        return;
      }
      const id = laneOf.get(event.conn);
      const lane = id && run.lane(id);
      if (lane) file(lane, event);
    };
  });
}

function connInfo(open: TapOpen | undefined, conn: number, method: string, path: string, t: number) {
  return {
    conn,
    method,
    path,
    remoteAddress: open?.remoteAddress ?? '',
    remotePort: open?.remotePort ?? 0,
    localPort: open?.localPort ?? 0,
    opened: open?.t ?? t,
    ...(open?.layer ? { layer: open.layer } : {}),
  };
}
