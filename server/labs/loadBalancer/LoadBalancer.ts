import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { createApp, type AppOptions, type StreamscopeApp } from '../../app.ts';
import { BalancingRule, balancerModes, type BalancerMode } from './balancingRule.ts';

/** The cookie that pins a client to an instance in `sticky` mode (the usual `SERVERID` idea). */
export const stickyCookie = 'streamscope_lb';

export interface InstanceState {
  id: string;
  alive: boolean;
  /** Its loopback port; a revived instance listens on the same one again. */
  port: number;
  /** Requests and WebSockets the balancer is carrying to it right now. */
  open: number;
  /** Requests and WebSockets the balancer has sent it, in all. */
  served: number;
}

export interface BalancerState {
  mode: BalancerMode;
  instances: InstanceState[];
}

/** Where one request goes. */
export interface Route {
  id: string;
  port: number;
  /** A `Set-Cookie` value to send with the answer (sticky mode, when the client was (re)pinned). */
  setCookie?: string;
}

export interface LoadBalancerOptions {
  /** Names of the backend instances. @default ['a', 'b', 'c'] */
  ids?: readonly string[];
  /** @default 'round-robin' */
  mode?: BalancerMode;
  /**
   * Options for every backend's `createApp` (e.g. `retryMs`, `allowedOrigins`). Their only client
   * is the balancer's own address, so `maxStreamsPerClient` defaults to 10,000 here: cap clients
   * at the balancer instead (`loadBalancerUpgrade`'s and `loadBalancerRoutes`' limiter).
   */
  backend?: Omit<AppOptions, 'instance' | 'staticDir' | 'routes' | 'pageMiddleware'>;
}

interface Instance {
  id: string;
  port: number;
  /** The running server; `null` while the instance is dead. */
  app: StreamscopeApp | null;
  /** Every socket the backend accepted, upgraded ones included (Node stops tracking those). */
  sockets: Set<Socket>;
  /** The client side of each request or WebSocket routed here and still open. */
  open: Set<{ destroy(): void }>;
  served: number;
  /** Kill and revive of one instance run one after the other. */
  queue: Promise<unknown>;
}

/**
 * Several backend instances of the streaming server on loopback ports, and the balancing rule
 * in front of them. The proxying itself is `loadBalancerProxy` (a proxy library from npm); this
 * class only says where each request goes and counts what is open where. Emits `'change'`
 * whenever its `state()` changes.
 */
export class LoadBalancer extends EventEmitter<{ change: []; close: [] }> {
  readonly #instances: Instance[];
  readonly #backend: LoadBalancerOptions['backend'];
  readonly #rule: BalancingRule;
  #closed = false;

  private constructor(ids: readonly string[], options: LoadBalancerOptions) {
    super();
    this.#rule = new BalancingRule(ids, options.mode);
    this.#backend = options.backend;
    this.#instances = ids.map((id) => ({ id, port: 0, app: null, sockets: new Set(), open: new Set(), served: 0, queue: Promise.resolve() }));
  }

  /** Starts every instance on a free loopback port. */
  static async start(options: LoadBalancerOptions = {}): Promise<LoadBalancer> {
    const ids = options.ids ?? ['a', 'b', 'c'];
    if (ids.length === 0 || new Set(ids).size !== ids.length || !ids.every((id) => /^[a-z0-9-]{1,16}$/.test(id))) {
      throw new Error(`LoadBalancer ids must be distinct short lowercase names; got ${JSON.stringify(ids)}.`);
    }
    const lb = new LoadBalancer(ids, options);
    try {
      await Promise.all(lb.#instances.map((instance) => lb.#listen(instance)));
    } catch (error) {
      await lb.close();
      throw error;
    }
    return lb;
  }

  get mode(): BalancerMode {
    return this.#rule.mode;
  }

  set mode(mode: BalancerMode) {
    if (!balancerModes.includes(mode)) throw new TypeError(`Unknown balancer mode ${JSON.stringify(mode)}.`);
    if (mode === this.#rule.mode) return;
    this.#rule.mode = mode;
    this.emit('change');
  }

  state(): BalancerState {
    return {
      mode: this.#rule.mode,
      instances: this.#instances.map((i) => ({ id: i.id, alive: i.app !== null, port: i.port, open: i.open.size, served: i.served })),
    };
  }

  has(id: string): boolean {
    return this.#instances.some((i) => i.id === id);
  }

  /**
   * Picks the instance for a request, from its `Cookie` header in sticky mode.
   * `undefined` when every instance is dead (or the balancer is closed).
   */
  route(cookieHeader?: string): Route | undefined {
    if (this.#closed) return undefined;
    const pick = this.#rule.pick(cookieValue(cookieHeader, stickyCookie), (id) => this.#get(id).app !== null);
    if (!pick) return undefined;
    const route: Route = { id: pick.id, port: this.#get(pick.id).port };
    return pick.pin ? { ...route, setCookie: `${stickyCookie}=${pick.id}; Path=/lb; HttpOnly; SameSite=Lax` } : route;
  }

  /**
   * Counts a request or WebSocket the balancer is carrying to instance `id`; `client` is
   * destroyed if the balancer closes first. Call the returned function once, when it ends.
   */
  open(id: string, client: { destroy(): void }): () => void {
    const instance = this.#get(id);
    instance.open.add(client);
    instance.served++;
    this.emit('change');
    return () => {
      if (instance.open.delete(client)) this.emit('change');
    };
  }

  /**
   * Kills instance `id` the hard way, as a crash would: it stops listening, and every connection
   * it has (streams and WebSockets alike) is cut at once. Resolves when it is down.
   */
  kill(id: string): Promise<void> {
    const instance = this.#get(id);
    return this.#enqueue(instance, async () => {
      const app = instance.app;
      if (!app) return;
      // Dead before its connections are cut, so a client that reconnects at once goes elsewhere.
      instance.app = null;
      this.emit('change');
      for (const socket of instance.sockets) socket.destroy();
      await app.close();
    });
  }

  /** Starts instance `id` again, on the port it had. */
  revive(id: string): Promise<void> {
    const instance = this.#get(id);
    return this.#enqueue(instance, async () => {
      if (instance.app || this.#closed) return;
      await this.#listen(instance);
      this.emit('change');
    });
  }

  /** Cuts everything the balancer carries and stops every instance. Leaves no timer or socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
    for (const instance of this.#instances) for (const client of instance.open) client.destroy();
    await Promise.all(this.#instances.map((i) => this.kill(i.id)));
    this.removeAllListeners();
  }

  #get(id: string): Instance {
    const instance = this.#instances.find((i) => i.id === id);
    if (!instance) throw new RangeError(`There is no instance ${JSON.stringify(id)}.`);
    return instance;
  }

  #enqueue(instance: Instance, task: () => Promise<void>): Promise<void> {
    const run = instance.queue.then(task);
    instance.queue = run.catch(() => {});
    return run;
  }

  /** A fresh server for the instance (its old one's WebSocket server is closed for good). */
  async #listen(instance: Instance): Promise<void> {
    const app = createApp({ maxStreamsPerClient: 10_000, ...this.#backend, instance: instance.id, staticDir: null });
    app.server.on('connection', (socket: Socket) => {
      instance.sockets.add(socket);
      socket.once('close', () => instance.sockets.delete(socket));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        app.server.once('error', reject);
        app.server.listen(instance.port, '127.0.0.1', () => {
          app.server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await app.close();
      throw error;
    }
    const address = app.server.address();
    if (typeof address === 'object' && address) instance.port = address.port;
    instance.app = app;
  }
}

/** The value of cookie `name` in a `Cookie` request header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}
