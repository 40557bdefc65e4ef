import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tapPath, type GenerationReport, type OutgoingLeg, type TapEvent, type TapLayer, type TapOpen } from '../../shared/tap.ts';
import { runPattern } from '../../shared/replySettings.ts';
import { H2FrameScanner } from './h2Frames.ts';
import { H2HeaderConcealer, type BlockPiece } from './h2Conceal.ts';

/** Who is listening, and for which run (`null`: every connection). */
export interface TapListener {
  run: string | null;
  /** Receives each event as its JSON text, encoded once however many listen. */
  send(json: string): void;
  /** Only connections from a remote address this accepts reach the listener. @default all */
  accepts?(remoteAddress: string): boolean;
  /**
   * Secret bytes (what the tap's `secrets` finders find) arrive replaced by `*`, byte for byte.
   * Needs a tap built with `secrets`. @default false
   */
  masked?: boolean;
}

export type { ByteRange, SecretFinder } from '../../shared/secretHeaders.ts';
import type { ByteRange, SecretFinder } from '../../shared/secretHeaders.ts';

export interface WireTapOptions {
  /**
   * Makes a finder for each connection and direction, for listeners that get secrets `masked`
   * (classroom mode: `SecretHeaderScanner`). Without it, nothing is scanned. @default none
   */
  secrets?: () => SecretFinder;
  /**
   * Makes finders, per direction, of the server's own secrets on every connection the tap sees
   * (the presenter token, `server/classroom/presenterSecret.ts`): what they find is replaced by `*`
   * for every listener, the presenter included, in every mode, as an outgoing connection's
   * `conceal` is. A write is scanned when it is recorded (someone may see it), a read always.
   * HTTP/2 header blocks are HPACK-coded: a block whose decoded fields `fields` calls secret is
   * masked whole (`H2HeaderConcealer`). @default none
   */
  conceal?: () => Concealed;
}

/**
 * How `attach` records a socket of the HTTPS port (`server/tls/`), where one TCP connection is
 * seen at two layers: the TLS records on the network, and the HTTP bytes inside them.
 */
export interface AttachOptions {
  /** `'tls'`: this socket's bytes are TLS records; its events carry `layer: 'tls'` and go to the runs of the plaintext attached `over` it. */
  layer?: TapLayer;
  /** The plaintext inside a TLS connection: the socket attached with `layer: 'tls'` that carries it. */
  over?: Socket;
  /** What the plaintext speaks (the ALPN result). `'h2'`: many requests at once, each maybe its own run. @default 'http/1.1' */
  protocol?: 'h2' | 'http/1.1';
}

/** One read, write or close seen on a socket, before it becomes a tap event. */
interface SocketRecord {
  type: 'read' | 'write' | 'close';
  t: number;
  bytes?: Buffer;
  parts?: number[];
  /** What the connection's finder called secret in `bytes`. */
  secrets?: ByteRange[];
  /** HTTP/2: the header block pieces in `bytes`, masked once their block is decoded. */
  blocks?: BlockPiece[];
}

interface Connection {
  id: number;
  t: number;
  remoteAddress: string;
  remotePort: number;
  localPort: number;
  /** The run of the request being served; `undefined` until the next request head is parsed. */
  run: string | null | undefined;
  /** The run of the last request, for a close that comes between requests. */
  lastRun: string | null;
  /** True while serving a request that must not be tapped (the tap's own stream). */
  skip: boolean;
  /** Records read before we knew which run they belong to (the start of a request head). */
  pending: SocketRecord[];
  pendingBytes: number;
  /** Runs this connection has been announced to (an `open` event was sent for). */
  announced: Set<string | null>;
  /** Secret finders per direction (only with the tap's `secrets` option). */
  finders: { read: SecretFinder; write: SecretFinder } | null;
  /** Set on a connection the server opened (Streamscope as the client): which leg it is. */
  outgoing?: OutgoingLeg;
  /** The address of the client whose request caused an outgoing connection (whose tap may show it). */
  owner?: string;
  /** Finds bytes no listener may see (the upstream key), per direction: masked at once, for everyone. Sees every write. */
  conceal?: Concealed;
  /** The tap's own `conceal` finders (the presenter token), per direction: masked at once, for everyone. */
  guard?: Concealed;
  /** Set for the TLS records of an HTTPS connection. */
  layer?: TapLayer;
  /** TLS records: the plaintext connection they carry (its runs are theirs). */
  carrier?: Connection;
  /** Plaintext from TLS: the connection of its records. */
  tls?: Connection;
  /** HTTP/2: several runs share the connection; the tap's own streams' frames are left out. */
  multiplexed?: Multiplexed;
  /**
   * The connection's records from its start (up to `maxPendingBytes`), replayed to a run that
   * joins later (HTTP/2 and TLS records: without the start, nothing after it can be read).
   */
  history?: SocketRecord[];
  historyBytes?: number;
}

/** Finders of the server's own secrets on a connection, per direction. */
export interface Concealed {
  read?: SecretFinder;
  write?: SecretFinder;
  /** HTTP/2 (the tap's `conceal` only): whether a decoded header field carries a secret; its block is masked whole. */
  fields?: (name: string, value: string) => boolean;
}

/** A connection the server opens, as the tap files it. */
export interface OutgoingConnection {
  leg: OutgoingLeg;
  /** The run of the request that caused it. */
  run: string | null;
  /** The client address of that request: a classroom tap shows the connection to that client (and the presenter). */
  owner: string;
  method: string;
  /** The request target Streamscope asks for (path and query). */
  path: string;
  /** `host:port` Streamscope connects to. */
  host: string;
  /** Masks the server's own secrets in its bytes, for every listener (presenter included). */
  conceal?: Concealed;
}

interface Multiplexed {
  /** Stream ids of the tap's own responses on this connection. */
  tapStreams: Set<number>;
  /** Tap responses open on this connection: its TLS records are not reported meanwhile (each report would make another record). */
  tapsOpen: number;
  scanners: { read: H2FrameScanner; write: H2FrameScanner };
  /** Decode the header blocks, per direction, to find those with a secret field (the tap's `conceal` has `fields`). */
  concealers?: { read: H2HeaderConcealer; write: H2HeaderConcealer };
  /** Records held while a header block is open: whether it is masked is known once it ends. */
  held: SocketRecord[];
  heldBytes: number;
}

/** A marker on a socket attached with options: HTTP/2 requests reach it through a proxy of it. */
const connectionKey = Symbol('wireTapConnection');

/** A request head larger than this cannot be parsed anyway (the server's maxHeaderSize is smaller). */
const maxPendingBytes = 512 * 1024;

export const now = (): number => performance.timeOrigin + performance.now();

/**
 * Records every byte each connection reads and writes, with a timestamp, and hands them to the
 * listeners of that connection's run. Costs nothing but bookkeeping when nobody listens: bytes
 * are copied and encoded only for a listener that wants them.
 */
export class WireTap {
  readonly #listeners = new Set<TapListener>();
  readonly #connections = new WeakMap<Socket, Connection>();
  readonly #secrets: (() => SecretFinder) | undefined;
  readonly #conceal: (() => Concealed) | undefined;
  /** HTTP/2 requests (their `req.socket` proxies): the connection and run of each stream. */
  readonly #streams = new WeakMap<object, { connection: Connection; run: string | null | 'skip' }>();
  #nextId = 1;

  constructor({ secrets, conceal }: WireTapOptions = {}) {
    this.#secrets = secrets;
    this.#conceal = conceal;
  }

  /** Starts recording a new connection. Call from the server's `'connection'` event. */
  attach(socket: Socket, options?: AttachOptions): void {
    const connection: Connection = {
      id: this.#nextId++,
      t: now(),
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localPort: socket.localPort ?? 0,
      run: undefined,
      lastRun: null,
      skip: false,
      pending: [],
      pendingBytes: 0,
      announced: new Set(),
      finders: this.#secrets ? { read: this.#secrets(), write: this.#secrets() } : null,
      // TLS records are encrypted: nothing in them to find (`#layered` drops it).
      guard: this.#conceal?.(),
    };
    this.#connections.set(socket, connection);
    if (options) this.#layered(socket, connection, options);

    // A 'data' listener sees the request bytes; Node hands them to its HTTP parser as well.
    // Prepended, so a read is recorded before the parser runs the route that answers it.
    socket.prependListener('data', (chunk: Buffer) => this.#record(connection, { type: 'read', t: now(), bytes: chunk }));
    socket.once('close', () => this.#record(connection, { type: 'close', t: now() }));

    // Every outgoing byte passes through _writeGeneric, one call per system call: a writev
    // carries the buffers that leave together (a chunk's size line, payload and CRLFs).
    const internal = socket as unknown as { _writeGeneric(writev: boolean, data: unknown, encoding: BufferEncoding, cb: unknown): unknown };
    const writeGeneric = internal._writeGeneric;
    internal._writeGeneric = (writev, data, encoding, cb) => {
      // A socket still connecting queues the write and calls this again once connected: record it then.
      if (!connection.skip && !(socket as { connecting?: boolean }).connecting && this.#wantsWrite(connection)) {
        const buffers = writev ? (data as unknown[]).map(toBuffer) : [toBuffer({ chunk: data, encoding })];
        this.#record(connection, { type: 'write', t: now(), bytes: Buffer.concat(buffers), parts: buffers.map((b) => b.length) });
      }
      return writeGeneric.call(socket, writev, data, encoding, cb);
    };
  }

  /**
   * Starts recording a connection the server opened: the upstream leg of an upstream model's reply,
   * or an inspected URL. The same events as an accepted connection's, marked `outgoing` with its leg;
   * here `write` is what Streamscope sent (the request) and `read` what it got (the response). It is
   * filed under the run of the request that caused it, and shown to that request's client.
   * Call it from the client request's `'socket'` event, before anything is written.
   */
  attachOutgoing(socket: Socket, info: OutgoingConnection): void {
    this.attach(socket);
    const connection = this.#connections.get(socket)!;
    connection.outgoing = info.leg;
    connection.owner = info.owner;
    connection.conceal = info.conceal;
    connection.run = info.run;
    connection.lastRun = info.run;
    const announce = (): void => {
      connection.t = now();
      connection.remoteAddress = socket.remoteAddress ?? '';
      connection.remotePort = socket.remotePort ?? 0;
      connection.localPort = socket.localPort ?? 0;
      const base = { conn: connection.id, run: info.run, outgoing: info.leg };
      connection.announced.add(info.run);
      this.#open(connection, info.run, { outgoing: info.leg, host: info.host });
      this.#emit(connection, info.run, () => ({ type: 'request', ...base, t: now(), method: info.method, path: info.path, host: info.host }));
    };
    // Writes wait for the connection: the request is announced as the socket connects.
    if ((socket as { connecting?: boolean }).connecting) socket.prependOnceListener('connect', announce);
    else announce();
  }

  /**
   * Tells the tap which run a request belongs to, as soon as its head is parsed (the server's
   * `'request'` and `'upgrade'` events). `run: 'skip'` keeps this request out of the tap.
   */
  assign(req: IncomingMessage, res: ServerResponse | null, run: string | null | 'skip'): void {
    const connection = this.#connections.get(req.socket) ?? (req.socket as unknown as Record<symbol, Connection | undefined>)?.[connectionKey];
    if (!connection) return;
    if (connection.multiplexed) return this.#assignStream(connection, req, res, run);
    const pending = connection.pending;
    connection.pending = [];
    connection.pendingBytes = 0;
    connection.skip = run === 'skip';
    connection.run = run === 'skip' ? null : run;
    connection.lastRun = connection.run;
    // A keep-alive connection may carry the next request for another run (or the tap itself).
    const assigned = connection.run;
    res?.once('finish', () => {
      // Pipelined requests: the next one may already be assigned.
      if (connection.run !== assigned) return;
      connection.run = undefined;
      connection.skip = false;
    });
    if (connection.skip) return;
    const base = { conn: connection.id, run: connection.run };
    if (!connection.announced.has(connection.run)) {
      connection.announced.add(connection.run);
      this.#open(connection, connection.run, connection.tls ? { tls: connection.tls.id, protocol: 'http/1.1' } : {});
    }
    this.#emit(connection, connection.run, () => ({ type: 'request', ...base, t: now(), method: req.method ?? '', path: req.url ?? '' }));
    for (const record of pending) this.#deliver(connection, record);
    if (connection.tls) this.#join(connection.tls, connection.run);
  }

  /**
   * Makes `other` stand for an attached socket in `assign` (HTTP/2 requests reach their
   * connection through a socket of Node's own that wraps the one attached).
   */
  alias(other: object, socket: Socket): void {
    const connection = this.#connections.get(socket);
    if (connection) (other as Record<symbol, Connection>)[connectionKey] = connection;
  }

  /**
   * Tells the listeners of the connection's run how the generation behind its response ended:
   * what the server did not spend when a client went away is not in the bytes, so it says so.
   */
  report(socket: Socket, report: GenerationReport): void {
    const stream = this.#streams.get(socket);
    if (stream) {
      const { connection, run } = stream;
      if (run !== 'skip') this.#emit(connection, run, () => ({ type: 'generation', conn: connection.id, run, t: now(), ...report }));
      return;
    }
    const connection = this.#connections.get(socket);
    if (!connection || connection.skip) return;
    const run = connection.run === undefined ? connection.lastRun : connection.run;
    this.#emit(connection, run, () => ({ type: 'generation', conn: connection.id, run, t: now(), ...report }));
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: TapListener): () => void {
    if (listener.masked && !this.#secrets) throw new Error('A masked tap listener needs a WireTap built with the `secrets` option: nothing would be masked.');
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /**
   * Whether a write on this connection must be recorded: false when no listener could receive it
   * and nothing must scan every chunk, so the write costs no copy (a hall's followers, or any
   * stream while nobody taps its run). The same events as recording it and dropping it later:
   * a finder of secrets, a concealer and HTTP/2's frame scanners keep state across chunks, so
   * they see every one; a write before the request is assigned is kept pending, as before.
   */
  #wantsWrite(connection: Connection): boolean {
    if (connection.finders || connection.conceal || connection.history) return true;
    if (this.#listeners.size === 0) return false;
    const run = connection.run;
    if (run === undefined) return true;
    for (const listener of this.#listeners) if (listener.run === null || listener.run === run) return true;
    return false;
  }

  #record(connection: Connection, record: SocketRecord): void {
    // The server's own secrets never leave the tap unmasked, whoever listens.
    if (record.type !== 'close') {
      concealIn(record, connection.conceal?.[record.type]);
      // HTTP/2 is scanned in #recordLayered: its header blocks are decoded from the bytes as they came.
      if (!connection.multiplexed) concealIn(record, connection.guard?.[record.type]);
    }
    if (connection.history) return this.#recordLayered(connection, record);
    // Every chunk, delivered or not: a secret field may start in a chunk nobody listened to.
    if (connection.finders && record.bytes) {
      const ranges = connection.finders[record.type === 'read' ? 'read' : 'write'].scan(record.bytes);
      if (ranges.length > 0) record.secrets = ranges;
    }
    if (connection.run === undefined && !connection.skip) {
      if (record.type === 'close') {
        if (connection.announced.size > 0) this.#deliver(connection, record);
        return;
      }
      if (this.#listeners.size === 0 || connection.pendingBytes > maxPendingBytes) return;
      // Node reuses read buffers (and ws unmasks in place): keep a copy.
      if (record.bytes) record.bytes = Buffer.from(record.bytes);
      connection.pending.push(record);
      connection.pendingBytes += record.bytes?.length ?? 0;
      return;
    }
    if (!connection.skip) this.#deliver(connection, record);
  }

  #deliver(connection: Connection, record: SocketRecord, only?: string | null, firstRun = false): void {
    if (connection.history) {
      // A listener of every run (run null) gets each record once: with the first run it goes to
      // (a replay to the connection's first run included), never with a later run's replay.
      let exact = only !== undefined && !firstRun;
      for (const run of exact ? [only!] : this.#runsOf(connection)) {
        this.#deliverTo(connection, record, run, exact);
        exact = true;
      }
      return;
    }
    this.#deliverTo(connection, record, connection.run === undefined ? connection.lastRun : connection.run);
  }

  #deliverTo(connection: Connection, record: SocketRecord, run: string | null, exact = false): void {
    // Encoding to base64 is the copy: it happens here, synchronously, before ws unmasks.
    const secrets = record.secrets;
    const make = (masked: boolean): TapEvent => {
      const base = { conn: connection.id, run, t: record.t, ...(connection.layer ? { layer: connection.layer } : {}) };
      if (record.type === 'close') return { type: 'close', ...base };
      const bytes = record.bytes ?? Buffer.alloc(0);
      const data = (masked && secrets ? maskRanges(bytes, secrets) : bytes).toString('base64');
      return record.type === 'write' ? { type: 'write', ...base, data, parts: record.parts ?? [] } : { type: 'read', ...base, data };
    };
    this.#emit(connection, run, make, secrets !== undefined, exact);
  }

  /** Links the two layers of an HTTPS connection, and sets up HTTP/2's frame scanners. */
  #layered(socket: Socket, connection: Connection, { layer, over, protocol }: AttachOptions): void {
    (socket as unknown as Record<symbol, Connection>)[connectionKey] = connection;
    connection.history = [];
    connection.historyBytes = 0;
    if (layer) {
      connection.layer = layer;
      // Encrypted: nothing in it to mask.
      connection.finders = null;
      delete connection.guard;
    }
    const carried = over ? this.#connections.get(over) : undefined;
    if (carried) {
      carried.carrier = connection;
      connection.tls = carried;
    }
    if (protocol === 'h2') {
      const multiplexed: Multiplexed = {
        tapStreams: new Set(),
        tapsOpen: 0,
        scanners: {
          read: new H2FrameScanner('read', (_type, id) => multiplexed.tapStreams.has(id)),
          write: new H2FrameScanner('write', (_type, id) => multiplexed.tapStreams.has(id)),
        },
        held: [],
        heldBytes: 0,
      };
      const fields = connection.guard?.fields;
      if (fields) multiplexed.concealers = { read: new H2HeaderConcealer(fields), write: new H2HeaderConcealer(fields) };
      connection.multiplexed = multiplexed;
    } else if (!layer) {
      // HTTP/1.1 inside TLS: one request at a time, as on the plain port (its records keep a history).
      delete connection.history;
      delete connection.historyBytes;
    }
  }

  /** An HTTP/2 request: its stream's run joins the connection (several runs may share one). */
  #assignStream(connection: Connection, req: IncomingMessage, res: ServerResponse | null, run: string | null | 'skip'): void {
    const multiplexed = connection.multiplexed!;
    const streamId = (req as unknown as { stream?: { id?: number } }).stream?.id ?? 0;
    this.#streams.set(req.socket, { connection, run });
    if (run === 'skip') {
      multiplexed.tapStreams.add(streamId);
      multiplexed.tapsOpen++;
      (res as NodeJS.EventEmitter | null)?.once('close', () => multiplexed.tapsOpen--);
      return;
    }
    if (connection.run === undefined) connection.run = run;
    connection.lastRun = run;
    this.#join(connection, run);
    this.#emit(connection, run, () => ({
      type: 'request',
      conn: connection.id,
      run,
      t: now(),
      method: req.method ?? '',
      path: req.url ?? '',
      stream: streamId,
    }));
    if (connection.tls) this.#join(connection.tls, run);
  }

  /** Announces a connection with a history to a run, once, and replays what it has recorded so far. */
  #join(connection: Connection, run: string | null): void {
    if (!connection.history || connection.announced.has(run)) return;
    const firstRun = connection.announced.size === 0;
    connection.announced.add(run);
    const carried = connection.carrier ?? connection.tls;
    this.#open(connection, run, {
      ...(connection.layer ? { layer: connection.layer } : {}),
      ...(connection.layer && connection.carrier ? { carries: connection.carrier.id } : {}),
      ...(!connection.layer && carried ? { tls: carried.id, protocol: connection.multiplexed ? 'h2' : 'http/1.1' } : {}),
    });
    for (const record of connection.history) this.#deliver(connection, record, run, firstRun);
  }

  /** The runs a layered connection's bytes go to now. */
  #runsOf(connection: Connection): Iterable<string | null> {
    if (connection.layer) {
      const carrier = connection.carrier;
      if (!carrier) return [];
      // Serving the tap itself: its records would report themselves without end.
      if (carrier.skip || (carrier.multiplexed?.tapsOpen ?? 0) > 0) return [];
      if (carrier.multiplexed) return connection.announced;
      const run = carrier.run === undefined ? carrier.lastRun : carrier.run;
      return connection.announced.has(run) ? [run] : [];
    }
    return connection.announced;
  }

  /** Records of an HTTP/2 connection or of TLS records: kept from the start, sent to every run that has joined. */
  #recordLayered(connection: Connection, record: SocketRecord): void {
    const multiplexed = connection.multiplexed;
    if (multiplexed && record.bytes) {
      const direction = record.type === 'read' ? 'read' : 'write';
      const { kept, headerBlocks, headerPieces } = multiplexed.scanners[direction].scan(record.bytes);
      if (kept.length === 0) return;
      if (kept !== record.bytes) {
        record.bytes = kept;
        record.parts = record.type === 'write' ? [kept.length] : undefined;
      }
      // HPACK hides header values from a text scanner: with secrets to mask, header blocks are masked whole.
      if (connection.finders && headerBlocks.length > 0) record.secrets = headerBlocks;
      const concealers = multiplexed.concealers;
      if (concealers && headerPieces.length > 0) record.blocks = concealers[direction].feed(record.bytes, headerPieces);
      concealIn(record, connection.guard?.[direction]);
      if (concealers) return this.#holdOrMask(connection, multiplexed, record);
    } else if (record.type === 'close' && multiplexed && multiplexed.held.length > 0) {
      // The connection ends inside a header block: it is masked whole.
      multiplexed.concealers?.read.hideOpen();
      multiplexed.concealers?.write.hideOpen();
      this.#releaseHeld(connection, multiplexed);
    }
    this.#keepAndDeliver(connection, record);
  }

  /**
   * An HTTP/2 record with header block pieces is delivered once every block it has a piece of
   * has ended (and been decoded): until then it and the records after it are held, in order.
   */
  #holdOrMask(connection: Connection, multiplexed: Multiplexed, record: SocketRecord): void {
    const { read, write } = multiplexed.concealers!;
    if (multiplexed.held.length === 0 && !read.open && !write.open) {
      this.#maskBlocks(multiplexed, record);
      return this.#keepAndDeliver(connection, record);
    }
    // Node reuses read buffers: keep a copy.
    if (record.bytes) record.bytes = Buffer.from(record.bytes);
    multiplexed.held.push(record);
    multiplexed.heldBytes += record.bytes?.length ?? 0;
    if (read.open || write.open) {
      if (multiplexed.heldBytes <= maxPendingBytes) return;
      // A block that never ends: masked whole, whatever it holds.
      read.hideOpen();
      write.hideOpen();
    }
    this.#releaseHeld(connection, multiplexed);
  }

  #releaseHeld(connection: Connection, multiplexed: Multiplexed): void {
    const held = multiplexed.held;
    multiplexed.held = [];
    multiplexed.heldBytes = 0;
    for (const record of held) {
      this.#maskBlocks(multiplexed, record);
      this.#keepAndDeliver(connection, record);
    }
  }

  /** Masks the pieces of `record` whose header block carries a secret field. */
  #maskBlocks(multiplexed: Multiplexed, record: SocketRecord): void {
    if (!record.blocks || !record.bytes) return;
    const concealer = multiplexed.concealers![record.type === 'read' ? 'read' : 'write'];
    const hidden = record.blocks.filter(({ block }) => concealer.hidden(block)).map(({ range }) => range);
    if (hidden.length > 0) record.bytes = maskRanges(record.bytes, hidden);
    delete record.blocks;
  }

  /** A layered record, scanned: kept for runs that join later, and delivered to the runs joined. */
  #keepAndDeliver(connection: Connection, record: SocketRecord): void {
    if (connection.carrier && (connection.carrier.skip || (connection.carrier.multiplexed?.tapsOpen ?? 0) > 0)) return;
    if (this.#listeners.size === 0) return;
    if (record.type !== 'close' && connection.historyBytes! <= maxPendingBytes) {
      if (record.bytes) record.bytes = Buffer.from(record.bytes);
      connection.history!.push(record);
      connection.historyBytes! += record.bytes?.length ?? 0;
    }
    this.#deliver(connection, record);
  }

  /**
   * The `open` event of `connection` for `run`: where the connection comes from, and what `extra`
   * says of it (the leg it is for, the TLS connection it rides, the layer it is).
   */
  #open(connection: Connection, run: string | null, extra: Omit<TapOpen, 'type' | 'conn' | 'run' | 't' | 'remoteAddress' | 'remotePort' | 'localPort'>): void {
    this.#emit(connection, run, () => ({
      type: 'open',
      conn: connection.id,
      run,
      t: connection.t,
      remoteAddress: connection.remoteAddress,
      remotePort: connection.remotePort,
      localPort: connection.localPort,
      ...extra,
    }));
  }

  /** `make(masked)` builds the event; `differs`: whether masking changes it (else one JSON serves all). */
  #emit(connection: Connection, run: string | null, make: (masked: boolean) => TapEvent, differs = false, exact = false): void {
    const json: [plain?: string, masked?: string] = [];
    for (const listener of this.#listeners) {
      if (listener.run !== null && listener.run !== run) continue;
      // `exact`: only for this run's own listeners (a listener of every run has had it already).
      if (exact && listener.run !== run) continue;
      if (listener.accepts && !listener.accepts(connection.owner ?? connection.remoteAddress)) continue;
      const variant = differs && listener.masked ? 1 : 0;
      json[variant] ??= JSON.stringify(make(variant === 1));
      listener.send(json[variant]);
    }
  }
}

/** Replaces with `*` what `finder` finds in the record's bytes: the server's own secrets, for every listener. */
function concealIn(record: SocketRecord, finder: SecretFinder | undefined): void {
  if (!finder || !record.bytes) return;
  const hidden = finder.scan(record.bytes);
  if (hidden.length > 0) record.bytes = maskRanges(record.bytes, hidden);
}

/** A copy of `bytes` with every range replaced by `*` (0x2a): same length, so sizes still add up. */
function maskRanges(bytes: Buffer, ranges: readonly ByteRange[]): Buffer {
  const copy = Buffer.from(bytes);
  for (const [start, end] of ranges) copy.fill(0x2a, start, end);
  return copy;
}

function toBuffer(entry: unknown): Buffer {
  if (Buffer.isBuffer(entry)) return entry;
  if (entry instanceof Uint8Array) return Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength);
  const { chunk, encoding } = entry as { chunk: unknown; encoding?: BufferEncoding | 'buffer' };
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding && encoding !== 'buffer' ? encoding : 'utf8');
  return toBuffer(chunk);
}

/** The tap's name for a request: its `run` parameter, `null` if none, `'skip'` for the tap itself. */
export function runOf(url: string | undefined): string | null | 'skip' {
  const parsed = new URL(url ?? '/', 'http://streamscope.invalid');
  if (parsed.pathname === tapPath) return 'skip';
  const run = parsed.searchParams.get('run');
  return run !== null && runPattern.test(run) ? run : null;
}
