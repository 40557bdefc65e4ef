import { seededRandom } from '../../model/random.ts';
import { BalancingRule } from './balancingRule.ts';
import type { BalancerMode, SimulationResult, SimulationSample } from '../../../shared/loadBalancer.ts';

export interface SimulationOptions {
  mode: BalancerMode;
  /** Seed of every random choice: arrivals, lifetimes, reply lengths, pauses. @default 1 */
  seed?: number;
  /** The instances. @default ['a', 'b', 'c'] */
  ids?: readonly string[];
  /** The instance that crashes and comes back. @default the first */
  kill?: string;
}

/**
 * The scenario, in simulated seconds. A class has the chat page open when the run starts
 * (long-lived clients, each a session of many replies); visitors come and go all along, most of
 * them for a reply or two. Each client asks for a reply (a stream open 2–6 s), reads it
 * (2–8 s), asks again, until it leaves. The killed instance is down from `killAt` to `reviveAt`.
 */
export const scenario = {
  duration: 120,
  killAt: 30,
  reviveAt: 45,
  /** Long-lived clients there from the start, and how long they stay. */
  initialClients: 30,
  longLifetime: [90, 400],
  /** Visitors arriving per second after that; the share of them that stay long. */
  arrivalsPerSecond: 0.4,
  longShare: 0.2,
  shortLifetime: [5, 30],
  streamSeconds: [2, 6],
  readSeconds: [2, 8],
  /** Seconds after the revival from which `share` is measured. */
  settleAfterRevive: 15,
} as const;

/** Simulated time advances in steps this long (s). */
const step = 0.25;

interface Client {
  leavesAt: number;
  /** The instance its sticky cookie names. */
  pinned?: string;
  stream?: { instance: string; endsAt: number };
  nextRequestAt: number;
}

/**
 * Simulates clients coming and going behind the balancer while one instance crashes and comes
 * back, with the balancer's own rule (`BalancingRule`). Deterministic: the same options give
 * the same result.
 *
 * In sticky mode a client whose instance died is re-pinned to a live one when it reconnects,
 * and stays there after the revival: only newcomers are pinned to the revived instance, so it
 * stays nearly empty while the others carry the class. In round robin every request is
 * balanced afresh, and the revived instance is back to its third within a reply or two.
 */
export function simulateSessions({ mode, seed = 1, ids = ['a', 'b', 'c'], kill = ids[0]! }: SimulationOptions): SimulationResult {
  if (!ids.includes(kill)) throw new RangeError(`There is no instance ${JSON.stringify(kill)}; the instances are ${ids.join(', ')}.`);
  const random = seededRandom(seed);
  const between = ([min, max]: readonly [number, number]): number => min + random() * (max - min);
  const rule = new BalancingRule(ids, mode);
  const alive = new Map(ids.map((id) => [id, true]));
  const isAlive = (id: string): boolean => alive.get(id) === true;
  const s = scenario;

  let clients: Client[] = [];
  let arrived = 0;
  let requests = 0;
  const join = (t: number, lifetime: readonly [number, number], firstRequestWithin: number): void => {
    arrived++;
    clients.push({ leavesAt: t + between(lifetime), nextRequestAt: t + random() * firstRequestWithin });
  };
  /** Opens (or reopens, after a cut) a stream through the rule; the client may be re-pinned. */
  const connect = (client: Client, endsAt: number): void => {
    const pick = rule.pick(client.pinned, isAlive);
    if (!pick) return;
    if (pick.pin) client.pinned = pick.id;
    client.stream = { instance: pick.id, endsAt };
    requests++;
  };

  for (let i = 0; i < s.initialClients; i++) join(0, s.longLifetime, 5);
  let nextArrival = -Math.log(1 - random()) / s.arrivalsPerSecond;

  const samples: SimulationSample[] = [];
  const ticks = Math.round(s.duration / step);
  for (let tick = 0; tick <= ticks; tick++) {
    const t = tick * step;
    if (t === s.killAt) {
      alive.set(kill, false);
      // Its streams are cut; each client reconnects at once, as EventSource does.
      for (const client of clients) if (client.stream?.instance === kill) connect(client, client.stream.endsAt);
    }
    if (t === s.reviveAt) alive.set(kill, true);
    while (nextArrival <= t) {
      const long = random() < s.longShare;
      join(t, long ? s.longLifetime : s.shortLifetime, step);
      nextArrival += -Math.log(1 - random()) / s.arrivalsPerSecond;
    }
    for (const client of clients) {
      if (client.stream && client.stream.endsAt <= t) {
        client.stream = undefined;
        client.nextRequestAt = t + between(s.readSeconds);
      }
      if (!client.stream && client.nextRequestAt <= t && t < client.leavesAt) connect(client, t + between(s.streamSeconds));
    }
    clients = clients.filter((c) => c.stream || t < c.leavesAt);
    if (tick % Math.round(1 / step) === 0) {
      samples.push({
        t,
        instances: ids.map((id) => ({
          id,
          alive: isAlive(id),
          open: clients.filter((c) => c.stream?.instance === id).length,
          pinned: clients.filter((c) => c.pinned === id).length,
        })),
      });
    }
  }

  const settledFrom = s.reviveAt + s.settleAfterRevive;
  return {
    mode,
    seed,
    duration: s.duration,
    kill: { id: kill, at: s.killAt, reviveAt: s.reviveAt },
    samples,
    share: shares(
      ids,
      samples.filter((sample) => sample.t >= settledFrom),
    ),
    settledFrom,
    clients: arrived,
    requests,
  };
}

/** Each instance's part of all the streams open over these samples. */
function shares(ids: readonly string[], samples: readonly SimulationSample[]): Record<string, number> {
  const totals = new Map(ids.map((id) => [id, 0]));
  for (const sample of samples) for (const i of sample.instances) totals.set(i.id, (totals.get(i.id) ?? 0) + i.open);
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  return Object.fromEntries(ids.map((id) => [id, all === 0 ? 0 : Math.round(((totals.get(id) ?? 0) / all) * 1000) / 1000]));
}
