/**
 * One line of the HTTP features lab's access log, as `GET /api/labs/http/log` streams it
 * (docs/labs.md): the server writes it, the page lists it.
 */

/** How a request proved it has a session. */
export type AuthMethod = 'cookie' | 'bearer' | 'none';

/** One line of the access log. */
export interface AccessLogEntry {
  /** Counts up from 1; the log stream sends it as the event id. */
  seq: number;
  /** When the line was written (epoch ms): the end of a request, the start of an upgrade. */
  t: number;
  /** `http`: a request that went through the Express chain; `upgrade`: a WebSocket handshake. */
  kind: 'http' | 'upgrade';
  method: string;
  /** The path, without the query (which may hold 20,000 characters of text). */
  path: string;
  /** `null` for an upgrade: the WebSocket server answers the handshake after this line is written. */
  status: number | null;
  /** Bytes written to the socket for this response, head and framing included; `null` for an upgrade. */
  bytes: number | null;
  /** From the request to the end of its response; `null` for an upgrade. */
  ms: number | null;
  auth: AuthMethod;
  /** A session cookie came with the request, valid or not. */
  cookie: boolean;
  /** `false` when the client went away before the response ended (a closed tab, a cut stream). */
  completed: boolean;
}
