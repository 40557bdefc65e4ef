/**
 * The load-balancer lab's API shapes (docs/labs.md): what `GET /api/labs/lb` (and its `events` stream) and
 * `POST /api/labs/lb/simulate` answer, and the balancing modes they name. The server builds
 * them, the page draws them.
 */

/**
 * How the balancer picks an instance for a request.
 * - `round-robin`: the next live instance in turn, whoever asks.
 * - `sticky`: the instance named in the client's `streamscope_lb` cookie while it lives; a
 *   client without one (or whose instance died) gets the next in turn and a cookie naming it.
 */
export type BalancerMode = 'round-robin' | 'sticky';
export const balancerModes: readonly BalancerMode[] = ['round-robin', 'sticky'];

/**
 * Where the instances keep the replies they generate, for one learner's requests.
 * - `own`: each instance its own log in its own memory: a resume on another instance finds
 *   nothing, so it regenerates (the deterministic model says the same words; a sampled one does not);
 * - `shared`: one log all instances read (Redis when it is set up): a resume on any instance
 *   reads on from the log, and the generation runs on wherever it started.
 */
export type LogMode = 'own' | 'shared';
export const logModes: readonly LogMode[] = ['own', 'shared'];

/** The request header the balancer sets on each request it forwards: the learner's `LogMode`. */
export const logModeHeader = 'X-Streamscope-Log';

/** One instance as one learner sees it. */
export interface InstanceState {
  id: string;
  /** Up for this learner: it runs, and this learner has not killed it (or has revived it since). */
  alive: boolean;
  /** The instance itself runs. A learner's kill leaves it running for everyone else; `LoadBalancer.kill` stops it. */
  running: boolean;
  /** Its loopback port; a revived instance listens on the same one again. */
  port: number;
  /** This learner's requests and WebSockets the balancer is carrying to it right now. */
  open: number;
  /** This learner's requests and WebSockets the balancer has sent it, in all. */
  served: number;
  /** Everyone's: open right now, and served in all. */
  everyone: { open: number; served: number };
}

/** The balancer as one learner sees it: their mode, their dead instances, their connections. */
export interface BalancerState {
  mode: BalancerMode;
  /** Where this learner's replies are logged. */
  log: LogMode;
  /** The shared log's store, in words: "Redis at redis://…", or in memory when no Redis is set up. */
  sharedLog: string;
  instances: InstanceState[];
  /** Learners with a lab state of their own on this server (cookieless clients are one more). */
  learners: number;
}

/** One instance at one moment of the simulation. */
export interface SimulatedInstance {
  id: string;
  alive: boolean;
  /** Streams open on it. */
  open: number;
  /** Clients whose sticky cookie names it (sticky mode; 0 in round robin). */
  pinned: number;
}

export interface SimulationSample {
  /** Seconds of simulated time. */
  t: number;
  instances: SimulatedInstance[];
}

export interface SimulationResult {
  mode: BalancerMode;
  seed: number;
  /** Simulated seconds. */
  duration: number;
  kill: { id: string; at: number; reviveAt: number };
  /** One sample a second, from 0 to `duration`. */
  samples: SimulationSample[];
  /** From `settledFrom` to the end: each instance's share of the open streams, 0–1. */
  share: Record<string, number>;
  settledFrom: number;
  clients: number;
  requests: number;
}
