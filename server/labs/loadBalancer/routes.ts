import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { Problem } from '../../problem.ts';
import { EventStream, directSink } from '../../sse/eventStream.ts';
import type { StreamLimiter } from '../../transports/streamLimiter.ts';
import type { LoadBalancer } from './LoadBalancer.ts';
import { learnerOf } from '../learner.ts';
import { balancerModes, logModes, type BalancerMode, type LogMode } from '../../../shared/loadBalancer.ts';
import { simulateSessions } from './sessionSimulation.ts';

export interface LabRoutesOptions {
  /** ms of silence after which the events stream sends a `:` comment. @default 2500 */
  heartbeatMs?: number;
  /** The `retry:` hint of the events stream, in ms. @default 1000 */
  retryMs?: number;
  /** Counts the events stream like any other stream of its client. */
  limiter?: StreamLimiter;
  /**
   * Who may stop an instance for everyone (`?everyone=true`): in classroom mode, the presenter
   * only. @default anyone
   */
  crash?: (req: Request) => boolean;
  /** ms between two events a learner's stream sends for other learners' changes (the `everyone` counts). @default 1000 */
  othersMs?: number;
}

const base = '/api/labs/lb';

/**
 * The lab's control API, for the page and for tests (`createApp({ routes })` mounts it). Each
 * request acts on, and answers with, its own learner's balancer (`learnerOf` its cookies;
 * cookieless clients share the anonymous learner's):
 * - `GET /api/labs/lb` — `{ mode, instances: [{ id, alive, running, port, open, served, everyone }], learners }`
 * - `GET /api/labs/lb/events` — SSE: that state as an `event: state` now and on every change
 * - `PUT /api/labs/lb/mode` — JSON `{"mode":"round-robin"|"sticky"}`
 * - `PUT /api/labs/lb/log` — JSON `{"log":"own"|"shared"}`: each instance its own reply log, or one they share
 * - `POST /api/labs/lb/instances/:id/kill`, `…/revive` — for this learner; answer the state once it is done
 * - `POST /api/labs/lb/instances/:id/kill?everyone=true` — stops the instance itself (when `crash` allows)
 * - `POST /api/labs/lb/simulate` — JSON `{"mode"?, "seed"?, "kill"?}`: clients coming and going
 *   while an instance dies and comes back, simulated with the balancer's rule (`simulateSessions`)
 * Pass the main app's `TransportContext` as `options` to share its heartbeat, retry and limiter.
 */
export function loadBalancerRoutes(lb: LoadBalancer, options: LabRoutesOptions = {}): Router {
  const router = Router();
  router.get(base, (req, res) => {
    res.set('Cache-Control', 'no-store').json(lb.state(learnerOf(req.headers)));
  });
  router.get(`${base}/events`, stateEvents(lb, options));

  router.put(`${base}/mode`, express.json({ limit: '1kb', type: () => true }), (req, res) => {
    const mode: unknown = (req.body as { mode?: unknown } | undefined)?.mode;
    if (typeof mode !== 'string' || !balancerModes.includes(mode as BalancerMode)) {
      throw new Problem(
        400,
        `Send JSON {"mode": …} with mode ${balancerModes.map((m) => `"${m}"`).join(' or ')}; got ${JSON.stringify(mode ?? null)}.`,
        'mode',
      );
    }
    const learner = learnerOf(req.headers);
    lb.setMode(learner, mode as BalancerMode);
    res.json(lb.state(learner));
  });
  router.all(`${base}/mode`, methodNotAllowed('PUT'));

  router.put(`${base}/log`, express.json({ limit: '1kb', type: () => true }), (req, res) => {
    const log: unknown = (req.body as { log?: unknown } | undefined)?.log;
    if (typeof log !== 'string' || !logModes.includes(log as LogMode)) {
      throw new Problem(400, `Send JSON {"log": …} with log ${logModes.map((m) => `"${m}"`).join(' or ')}; got ${JSON.stringify(log ?? null)}.`, 'log');
    }
    const learner = learnerOf(req.headers);
    lb.setLog(learner, log as LogMode);
    res.json(lb.state(learner));
  });
  router.all(`${base}/log`, methodNotAllowed('PUT'));

  router.post(`${base}/simulate`, express.json({ limit: '1kb', type: () => true }), (req, res) => {
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new Problem(400, 'Send a JSON object: {"mode": …, "seed": …, "kill": …}, each optional.', 'body');
    const { mode = lb.modeOf(learnerOf(req.headers)), seed = 1, kill = lb.state().instances[0]!.id } = body as Record<string, unknown>;
    if (typeof mode !== 'string' || !balancerModes.includes(mode as BalancerMode)) {
      throw new Problem(400, `"mode" must be ${balancerModes.map((m) => `"${m}"`).join(' or ')}; got ${JSON.stringify(mode)}.`, 'mode');
    }
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new Problem(400, `"seed" must be a whole number; got ${JSON.stringify(seed)}.`, 'seed');
    const ids = lb.state().instances.map((i) => i.id);
    if (typeof kill !== 'string' || !ids.includes(kill))
      throw new Problem(400, `"kill" must name an instance: ${ids.join(', ')}; got ${JSON.stringify(kill)}.`, 'kill');
    res.set('Cache-Control', 'no-store').json(simulateSessions({ mode: mode as BalancerMode, seed, ids, kill }));
  });
  router.all(`${base}/simulate`, methodNotAllowed('POST'));

  for (const action of ['kill', 'revive'] as const) {
    const path = `${base}/instances/:id/${action}`;
    router.post(path, async (req, res) => {
      const id = instanceId(lb, req);
      const learner = learnerOf(req.headers);
      const everyone = req.query.everyone === 'true';
      if (everyone && action === 'kill' && options.crash && !options.crash(req)) {
        throw new Problem(403, 'Only the presenter may stop an instance for everyone. Without ?everyone=true, the kill is yours alone.', 'everyone');
      }
      try {
        if (everyone) await lb[action](id);
        else if (action === 'kill') lb.killFor(learner, id);
        else await lb.reviveFor(learner, id);
      } catch (error) {
        throw new Problem(500, `Instance ${id} could not ${action}: ${(error as Error).message}`);
      }
      res.json(lb.state(learner));
    });
    router.all(path, methodNotAllowed('POST'));
  }
  return router;
}

function instanceId(lb: LoadBalancer, req: Request): string {
  const id = String(req.params.id);
  if (!lb.has(id)) {
    const known = lb.state().instances.map((i) => i.id);
    throw new Problem(404, `There is no instance ${JSON.stringify(id)}; the instances are ${known.join(', ')}.`, 'id');
  }
  return id;
}

function methodNotAllowed(allow: string): RequestHandler {
  return (req, res) => {
    res.set('Allow', allow);
    throw new Problem(405, `Use ${allow} for ${req.path}.`);
  };
}

/**
 * `GET /api/labs/lb/events`: the balancer's state as its learner sees it, as SSE, for the live
 * view. Changes in one turn of the event loop are sent as one event; a reader that falls behind
 * gets the latest state when it catches up, not every state in between. Other learners' changes
 * only move the `everyone` counts: those are sent at most once per `othersMs`, so a hall of
 * learners opening streams does not make every reader's stream send an event per stream.
 */
function stateEvents(lb: LoadBalancer, { heartbeatMs = 2500, retryMs = 1000, othersMs = 1000, limiter }: LabRoutesOptions): RequestHandler {
  return (req: Request, res: Response) => {
    const release = limiter?.acquire(req.socket.remoteAddress);
    const learner = learnerOf(req.headers);
    let pending: ReturnType<typeof setImmediate> | undefined;
    let others: ReturnType<typeof setTimeout> | undefined;
    let waiting = false;

    const stream = new EventStream(res, { retryMs, flushHead: false, keepAlive: { ms: heartbeatMs }, sink: directSink(res) });
    const send = (): void => {
      pending = undefined;
      if (res.writableNeedDrain) {
        if (!waiting) {
          waiting = true;
          res.once('drain', () => {
            waiting = false;
            send();
          });
        }
        return;
      }
      clearTimeout(others);
      others = undefined;
      void stream.send({ event: 'state', data: lb.state(learner) });
    };
    const changed = (whose?: string): void => {
      if (waiting || pending) return;
      if (whose === undefined || whose === learner) pending = setImmediate(send);
      else
        others ??= setTimeout(() => {
          others = undefined;
          changed();
        }, othersMs);
    };
    const closed = (): void => void res.end();

    lb.on('change', changed);
    lb.once('close', closed);
    res.once('close', () => {
      lb.off('change', changed);
      lb.off('close', closed);
      clearImmediate(pending);
      clearTimeout(others);
      release?.();
    });

    send();
  };
}
