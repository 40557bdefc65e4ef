import { constants } from 'node:os';

interface JsStreamSocketLike {
  doWrite(req: unknown, bufs: unknown): number;
  _handle?: { finishWrite(req: unknown, status: number): void } | null;
}

/**
 * Guards the stream Node's HTTP/2 session wraps around a JavaScript Duplex (an internal
 * `JSStreamSocket`, what the HTTPS port hands it: the plaintext inside TLS). It asserts that no
 * write comes while its shutdown waits for the Duplex to end, but the session does write then
 * (a client that vanishes mid-stream: the end of the plaintext starts the shutdown, and the
 * session's last frames follow), and the failed assertion is an uncaught exception that ends
 * the process (Node 20; found by `tlsLeaks.test.ts`). A write in that window is answered as one
 * to a closed pipe instead: the connection is ending anyway. `socket` is the session's socket
 * (its proxy forwards the property); if Node's internals differ, writes go on as before.
 */
export function failWritesDuringShutdown(socket: object): void {
  const target = socket as JsStreamSocketLike;
  const doWrite = target.doWrite;
  if (typeof doWrite !== 'function') return;
  target.doWrite = function (this: JsStreamSocketLike, req: unknown, bufs: unknown): number {
    const self = this as unknown as Record<symbol, unknown>;
    const busy = Object.getOwnPropertySymbols(self).some(
      (key) => (key.description === 'kCurrentShutdownRequest' || key.description === 'kCurrentWriteRequest') && self[key] !== null && self[key] !== undefined,
    );
    if (!busy) return doWrite.call(this, req, bufs);
    const handle = this._handle;
    process.nextTick(() => handle?.finishWrite(req, -constants.errno.EPIPE));
    return 0;
  };
}
