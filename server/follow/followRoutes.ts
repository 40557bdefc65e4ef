/**
 * The audience channel of presenter mode. The presenter's page POSTs where the class is (lesson,
 * step, blank screen); every `/follow` page holds an event stream and moves with it. Only the
 * presenter (the token printed in the terminal) may move the class, so a student cannot take
 * over the slides.
 */
import express from 'express';
import { Problem } from '../problem.ts';
import { EventStream, directSink } from '../sse/eventStream.ts';
import { presenterCookie, type Presenter } from '../classroom/presenter.ts';
import type { ClassPosition } from '../../shared/follow.ts';
import { broadcastPath } from '../../shared/broadcast.ts';
import { Broadcast, readBatch } from './broadcast.ts';
import { MemoryClassBus, type ClassBus } from './classBus.ts';

export interface FollowOptions {
  /** ms of quiet before a `:` comment keeps idle followers' connections alive. @default 15000 */
  heartbeatMs?: number;
  /**
   * Followers held at once per process, on each of the two channels (`/api/follow`, and watchers
   * of `/api/follow/run`); more get 503. 5,000: what a 2-core process can serve with room to
   * spare (the hall bench: a watcher costs ~25 to 30 KB and ~20 µs of CPU per batch, kernel
   * included, so 5,000 are ~150 MB and half a core at the page's 5 batches a second), the
   * issue's 2,000 and more on one process, while a runaway client still meets a bound. @default 5000
   */
  maxFollowers?: number;
  /** The broadcast of the presenter's run, with its caps (`broadcast.ts`), in this process. @default one with the default caps */
  broadcast?: Broadcast;
  /**
   * Where the class is kept: this process (`MemoryClassBus`), or Redis for several processes
   * (`RedisClassBus`). Closed by its owner, not here. @default a MemoryClassBus over `broadcast`
   */
  bus?: ClassBus;
}

const slugPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function followRoutes(presenter: Presenter, options: FollowOptions = {}): express.Router {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxFollowers = options.maxFollowers ?? 5000;
  const followers = new Set<EventStream>();
  const bus = options.bus ?? new MemoryClassBus(options.broadcast ?? new Broadcast());
  const broadcast = bus.broadcast;
  // A move, from this process or another (and again when a shared store comes back).
  bus.onPosition((at) => {
    for (const follower of followers) send(follower, at);
  });

  const send = (stream: EventStream, at: ClassPosition): void => void stream.send({ event: 'position', data: at });

  const router = express.Router();

  router.get('/api/follow', (req, res) => {
    if (followers.size >= maxFollowers)
      throw new Problem(503, `This class already has ${maxFollowers} followers; ask the presenter to restart the server with fewer.`);
    const stream = new EventStream(res, {
      retryMs: 1000,
      flushHead: false,
      keepAlive: { ms: heartbeatMs, comment: 'still following', every: 'interval' },
      sink: directSink(res),
    });
    // How many follow the class (this page too, every process): the page picks watching or running by it. Sent to this page only.
    void stream.send({ event: 'class', data: { followers: bus.followers(followers.size + 1) } });
    if (bus.position) send(stream, bus.position);
    followers.add(stream);
    bus.countHere(followers.size);
    req.on('close', () => {
      stream.stopKeepAlive();
      followers.delete(stream);
      bus.countHere(followers.size);
    });
  });

  const onlyThePresenter =
    (what: string): express.RequestHandler =>
    (req, _res, next) => {
      if (!presenter.isPresenter(req)) {
        throw new Problem(
          403,
          `Only the presenter ${what}: open the presenter URL printed in the server's terminal (it sets a cookie), or send its token as Authorization: Bearer.`,
        );
      }
      next();
    };

  // Broadcast follow: the presenter's run, published in batches and fanned out to every watcher.
  router.get(broadcastPath, (req, res) => {
    if (broadcast.watchers >= maxFollowers)
      throw new Problem(503, `This class already has ${maxFollowers} followers watching; run the step yourself, or ask the presenter to restart the server.`);
    const stream = new EventStream(res, {
      retryMs: 1000,
      flushHead: false,
      keepAlive: { ms: heartbeatMs, comment: 'still watching', every: 'interval' },
      sink: directSink(res),
    });
    // A watcher that reconnects (EventSource sends its last id) resumes after what it has.
    const last = req.headers['last-event-id'];
    const stop = broadcast.watch(stream, typeof last === 'string' ? last : undefined);
    req.on('close', () => {
      stream.stopKeepAlive();
      stop();
    });
  });

  // The presenter is checked before the body is read: a student's 1 MB body is not parsed.
  router.post(broadcastPath, onlyThePresenter('broadcasts a run'), express.json({ limit: '1mb', type: () => true }), async (req, res) => {
    await bus.publish(readBatch(req.body));
    res.status(204).end();
  });

  router.post('/api/follow', express.json({ limit: '1kb', type: () => true }), async (req, res) => {
    if (!presenter.isPresenter(req)) {
      throw new Problem(
        403,
        "Only the presenter moves the class: open the presenter URL printed in the server's terminal (it sets a cookie), or send its token as Authorization: Bearer.",
      );
    }
    await bus.setPosition(readPosition(req.body));
    res.status(204).end();
  });

  router.get('/api/follow/me', (req, res) => {
    res.set('Cache-Control', 'no-store').json({
      presenter: presenter.isPresenter(req),
      followers: followers.size,
      watching: broadcast.watchers,
      class: bus.followers(followers.size),
    });
  });

  // The URL printed in the terminal: it hands this browser the presenter cookie.
  router.get('/present', (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (!presenter.matches(token)) {
      res.status(403).type('text/plain').send("That is not the presenter token. Open the presenter URL exactly as the server's terminal printed it.\n");
      return;
    }
    res.cookie(presenterCookie, presenter.token, { httpOnly: true, sameSite: 'strict', path: '/' });
    res.redirect(303, '/lessons');
  });

  return router;
}

function readPosition(body: unknown): ClassPosition {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const { slug, step, blank, run } = fields;
  if (typeof slug !== 'string' || !slugPattern.test(slug) || slug.length > 64)
    throw new Problem(400, 'Field "slug" must be a lesson slug such as "why-stream".', 'slug');
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0 || step > 999)
    throw new Problem(400, 'Field "step" must be a step number from 0 (the first) to 999.', 'step');
  if (blank !== undefined && typeof blank !== 'boolean') throw new Problem(400, 'Field "blank" must be true or false.', 'blank');
  if (run !== undefined && (typeof run !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(run)))
    throw new Problem(400, 'Field "run" must be the id of the broadcast run the step shows: 1 to 64 letters, digits, "-" or "_".', 'run');
  for (const key of Object.keys(fields)) {
    if (!['slug', 'step', 'blank', 'run'].includes(key)) throw new Problem(400, `Unknown field "${key}". Known fields: slug, step, blank, run.`, key);
  }
  return { slug, step, blank: blank ?? false, ...(run === undefined ? {} : { run }) };
}
