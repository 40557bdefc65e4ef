import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { createApp, type AppOptions, type StreamscopeApp } from '../../app.ts';
import { BalancingRule } from './balancingRule.ts';
import { balancerModes, logModes, type BalancerMode, type BalancerState, type LogMode } from '../../../shared/loadBalancer.ts';
import { MemoryReplyLog } from '../../replies/memoryReplyLog.ts';
import type { ReplyLog } from '../../replies/replyLog.ts';
import { anonymousLearner, learnerOf } from '../learner.ts';
import { LearnerStates } from '../LearnerStates.ts';

/** The cookie that pins a client to an instance in `sticky` mode (the usual `SERVERID` idea). */
export const stickyCookie = 'streamscope_lb';

/** Where one request goes. */
export interface Route {
  id: string;
  port: number;
  /** Whose request it is (`learnerOf` its cookies). */
  learner: string;
  /** Where that learner's replies are logged (the balancer tells the instance in `logModeHeader`). */
  log: LogMode;
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
  backend?: Omit<AppOptions, 'instance' | 'staticDir' | 'routes' | 'pageMiddleware' | 'sharedReplyLog'>;
  /**
   * The log every instance reads when a learner switches the lab's log to `shared`: Redis when it
   * is set up (`STREAMSCOPE_REDIS_URL`), else one log in this process's memory. @default in memory
   */
  sharedReplyLog?: ReplyLog;
  /** Learners whose lab state is kept (`LearnerStates`). @default 5000 */
  maxLearners?: number;
}

/** One learner's balancer: their own mode and turn, the instances they killed, their connections. */
interface Learner {
  rule: BalancingRule;
  log: LogMode;
  /** Instances this learner killed: their requests go elsewhere, the instance runs on for others. */
  dead: Set<string>;
  open: Map<string, number>;
  served: Map<string, number>;
}

interface Instance {
  id: string;
  port: number;
  /** The running server; `null` while the instance is dead. */
  app: StreamscopeApp | null;
  /** Every socket the backend accepted, upgraded ones included (Node stops tracking those). */
  sockets: Set<Socket>;
  /** The client side of each request or WebSocket routed here and still open, and whose it is. */
  open: Map<{ destroy(): void }, string>;
  served: number;
  /** Kill and revive of one instance run one after the other. */
  queue: Promise<unknown>;
}

/**
 * Several backend instances of the streaming server on loopback ports, and the balancing rule
 * in front of them. The proxying itself is `loadBalancerProxy` (a proxy library from npm); this
 * class only says where each request goes and counts what is open where.
 *
 * A lab per learner: the instances are shared, but each learner (`learnerOf` a request's
 * cookies) has their own mode, their own turn in round robin, and their own dead instances.
 * `killFor` cuts only that learner's connections and routes only their requests away; `kill`
 * stops the instance itself, for everyone, as a crash would. Emits `'change'` with the learner
 * whose view changed, or with none when everyone's did.
 */
export class LoadBalancer extends EventEmitter<{ change: [learner?: string]; close: [] }> {
  readonly #instances: Instance[];
  readonly #backend: LoadBalancerOptions['backend'];
  readonly #sharedLog: ReplyLog;
  readonly #learners: LearnerStates<Learner>;
  #closed = false;

  private constructor(ids: readonly string[], options: LoadBalancerOptions) {
    super();
    let created = 0;
    this.#learners = new LearnerStates<Learner>({
      // Each learner's round robin starts one instance further on: a class spreads over all of them.
      create: (learner) => ({
        rule: new BalancingRule(ids, options.mode, learner === anonymousLearner ? 0 : created++),
        log: 'own',
        dead: new Set(),
        open: new Map(),
        served: new Map(),
      }),
      max: options.maxLearners,
      evictable: (learner) => learner.open.size === 0,
    });
    this.#backend = options.backend;
    this.#sharedLog = options.sharedReplyLog ?? new MemoryReplyLog({ shared: true });
    this.#instances = ids.map((id) => ({ id, port: 0, app: null, sockets: new Set(), open: new Map(), served: 0, queue: Promise.resolve() }));
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

  /** The anonymous learner's mode (clients without a learner cookie: curl, scripts). */
  get mode(): BalancerMode {
    return this.modeOf(anonymousLearner);
  }

  set mode(mode: BalancerMode) {
    this.setMode(anonymousLearner, mode);
  }

  modeOf(learner: string): BalancerMode {
    return this.#learners.peek(learner)?.rule.mode ?? this.#learners.anonymous.rule.mode;
  }

  /** Switches one learner's balancer between round robin and sticky sessions. */
  setMode(learner: string, mode: BalancerMode): void {
    if (!balancerModes.includes(mode)) throw new TypeError(`Unknown balancer mode ${JSON.stringify(mode)}.`);
    const rule = this.#learners.get(learner).rule;
    if (mode === rule.mode) return;
    rule.mode = mode;
    this.emit('change', learner);
  }

  /** Switches where one learner's replies are logged: each instance its own, or one shared log. */
  setLog(learner: string, log: LogMode): void {
    if (!logModes.includes(log)) throw new TypeError(`Unknown log mode ${JSON.stringify(log)}.`);
    const state = this.#learners.get(learner);
    if (log === state.log) return;
    state.log = log;
    this.emit('change', learner);
  }

  /** The balancer as `learner` sees it. @default the anonymous learner */
  state(learner: string = anonymousLearner): BalancerState {
    const own = this.#learners.peek(learner);
    const shared = this.#sharedLog.where === 'in memory' ? 'in memory (one log in this process: Redis is not set up)' : this.#sharedLog.where;
    return {
      mode: own?.rule.mode ?? this.#learners.anonymous.rule.mode,
      log: own?.log ?? this.#learners.anonymous.log,
      sharedLog: shared,
      instances: this.#instances.map((i) => ({
        id: i.id,
        alive: i.app !== null && !own?.dead.has(i.id),
        running: i.app !== null,
        port: i.port,
        open: own?.open.get(i.id) ?? 0,
        served: own?.served.get(i.id) ?? 0,
        everyone: { open: i.open.size, served: i.served },
      })),
      learners: this.#learners.size,
    };
  }

  has(id: string): boolean {
    return this.#instances.some((i) => i.id === id);
  }

  /**
   * Picks the instance for a request, by the rule of its learner (both read from its `Cookie`
   * header: the learner cookie, and the sticky cookie in sticky mode), among the instances that
   * run and that this learner has not killed. `undefined` when there is none (or the balancer is closed).
   */
  route(cookieHeader?: string): Route | undefined {
    if (this.#closed) return undefined;
    const learnerId = learnerOf(cookieHeader);
    // A request moves its learner's turn: it makes their state if they had none.
    const learner = this.#learners.get(learnerId);
    const pick = learner.rule.pick(cookieValue(cookieHeader, stickyCookie), (id) => this.#get(id).app !== null && !learner.dead.has(id));
    if (!pick) return undefined;
    const route: Route = { id: pick.id, port: this.#get(pick.id).port, learner: learnerId, log: learner.log };
    return pick.pin ? { ...route, setCookie: `${stickyCookie}=${pick.id}; Path=/lb; HttpOnly; SameSite=Lax` } : route;
  }

  /**
   * Counts a request or WebSocket the balancer is carrying where `route` sends it, for its
   * learner; `client` is destroyed if that learner kills the instance, or the balancer closes.
   * Call the returned function once, when it ends.
   */
  open(route: Route, client: { destroy(): void }): () => void {
    const instance = this.#get(route.id);
    const learner = this.#learners.get(route.learner);
    instance.open.set(client, route.learner);
    instance.served++;
    learner.open.set(route.id, (learner.open.get(route.id) ?? 0) + 1);
    learner.served.set(route.id, (learner.served.get(route.id) ?? 0) + 1);
    this.emit('change', route.learner);
    return () => {
      if (!instance.open.delete(client)) return;
      // The learner's state may have been evicted meanwhile: then this counts on a forgotten one.
      const left = (learner.open.get(route.id) ?? 1) - 1;
      if (left > 0) learner.open.set(route.id, left);
      else learner.open.delete(route.id);
      this.emit('change', route.learner);
    };
  }

  /**
   * Kills instance `id` for one learner: their connections to it are cut at once (an SSE stream
   * reconnects elsewhere with `Last-Event-ID`, a WebSocket dies with 1006) and their requests go
   * to the other instances from now on. Everyone else's connections on it stream on.
   */
  killFor(learnerId: string, id: string): void {
    const instance = this.#get(id);
    const learner = this.#learners.get(learnerId);
    if (learner.dead.has(id)) return;
    // Dead before its connections are cut, so a client that reconnects at once goes elsewhere.
    learner.dead.add(id);
    this.emit('change', learnerId);
    for (const [client, owner] of instance.open) if (owner === learnerId) client.destroy();
  }

  /** Undoes `killFor`: the learner's requests may go to instance `id` again. Starts it too if it does not run. */
  async reviveFor(learnerId: string, id: string): Promise<void> {
    const instance = this.#get(id);
    const learner = this.#learners.peek(learnerId);
    if (learner?.dead.delete(id)) this.emit('change', learnerId);
    if (!instance.app) await this.revive(id);
  }

  /**
   * Kills instance `id` the hard way, for everyone, as a crash would: it stops listening, and
   * every connection it has (streams and WebSockets alike, nginx's too) is cut at once.
   * Resolves when it is down.
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
    for (const instance of this.#instances) for (const client of instance.open.keys()) client.destroy();
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
    const app = createApp({ maxStreamsPerClient: 10_000, ...this.#backend, instance: instance.id, staticDir: null, sharedReplyLog: this.#sharedLog });
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
