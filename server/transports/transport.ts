import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { StreamLimiter } from './streamLimiter.ts';
import { failsAt, failureDetail, upstreamDetail, type Reply, type UpstreamFailure } from '../model/reply.ts';
import { Problem } from '../problem.ts';
import type { Replies, ReplyKind, ReplyReading } from '../replies/replies.ts';
import type { GenerationEnd, GenerationReport } from '../../shared/tap.ts';
import { replyHeader } from '../../shared/replyHeader.ts';
import { logModeHeader } from '../../shared/loadBalancer.ts';

/**
 * What every transport is given. Each transport (sse.ts, buffered.ts, websocket.ts, openai.ts, anthropic.ts)
 * takes a paced token iterable from the model and writes it in its own wire format; this is
 * everything else they share.
 */
export interface TransportContext {
  limiter: StreamLimiter;
  /** The reply log and its generations: every response reads its tokens from there. */
  replies: Replies;
  /** A log shared with other instances, for requests that ask for it (`logModeHeader`: the load-balancer lab). */
  sharedReplies?: Replies;
  /** ms of silence after which an SSE stream sends a `:` comment. */
  heartbeatMs: number;
  /** The `retry:` hint SSE streams send, in ms. */
  retryMs: number;
  /** Hears how each response's generation ended (the app hands it to the wire tap). @default none */
  report?: (socket: Socket, report: GenerationReport) => void;
}

/**
 * The reply's tokens for one response, read from the reply log from `from` on at the pace they are
 * generated, counted against the client's stream cap (429 past it). The response names its reply
 * in the `X-Streamscope-Reply` header. When the response closes, however it closes, the reader
 * leaves (the generation stops if it was the last: see `Replies`) and the slot frees: a client
 * that vanishes mid-stream leaves nothing behind. Then the response's part of the generation is
 * reported (`ctx.report`): how many tokens it took, and why it ended.
 */
export async function pacedResponse(
  ctx: TransportContext,
  req: IncomingMessage,
  res: ServerResponse,
  reply: Reply,
  kind: ReplyKind,
  from = 0,
  draw?: number,
): Promise<ReplyReading> {
  const release = ctx.limiter.acquire(req.socket.remoteAddress);
  let reading: ReplyReading | undefined;
  res.on('close', () => {
    void reading?.reader.return();
    release();
    const report = generationReport(reading?.reply ?? reply, from, reading?.reader.position ?? from, ended.get(res));
    // A shared log's generation does not stop with its reader (see `Replies`): say so, not "never generated".
    const runsOn = report.reason !== 'complete' && report.reason !== 'failed' && repliesFor(ctx, req).log.shared;
    ctx.report?.(req.socket, runsOn ? { ...report, runsOn } : report);
  });
  // The client may leave while a shared log is asked: then the reader leaves as soon as it exists.
  reading = await repliesFor(ctx, req).open(kind, reply, { from, draw, route: routeOf(req), cause: { remoteAddress: req.socket.remoteAddress } });
  if (res.destroyed) void reading.reader.return();
  else if (!res.headersSent) res.setHeader(replyHeader, reading.id);
  // An upstream model: no head of ours before the upstream's, so its failure can be our status.
  if (reading.reply.upstream) await upstreamHead(reading);
  return reading;
}

/**
 * Waits for an upstream reply's head. When the upstream failed before it (401, 404, 429, 5xx, a
 * body that is not SSE, no connection), this response has sent nothing yet either: it answers
 * with the upstream's own status and message as problem+json (the reader leaves).
 */
async function upstreamHead(reading: ReplyReading): Promise<void> {
  try {
    await reading.reply.upstream!.head;
  } catch {
    void reading.reader.return();
    throw failureProblem(reading.reply);
  }
}

/**
 * The problem+json for a reply that failed before anything was sent: an upstream's own status and
 * message, named as the upstream's; the simulated model's failure is a 500.
 */
export function failureProblem(reply: Reply): Problem {
  const upstream = reply.upstream?.error;
  if (upstream) return new UpstreamProblem(upstream);
  return new Problem(500, failureDetail(reply));
}

/** An upstream's failure as problem+json: its status (502 when it sent none), and an `upstream` member with its own message. */
export class UpstreamProblem extends Problem {
  readonly failure: UpstreamFailure;

  constructor(failure: UpstreamFailure) {
    super(failure.status >= 400 && failure.status <= 599 ? failure.status : 502, upstreamDetail(failure));
    this.failure = failure;
  }

  override toJSON(openai = false): Record<string, unknown> {
    const upstream = { status: this.failure.status, message: this.failure.message, ...(this.failure.type ? { type: this.failure.type } : {}) };
    return { ...super.toJSON(openai), title: `Upstream error: ${this.title}`, upstream };
  }
}

/** The path a request asked for, without its query (Express keeps the whole one in `originalUrl`). */
export function routeOf(req: IncomingMessage): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** The log a request reads: the shared one when it asks for it (and this instance has one), else the instance's own. */
export function repliesFor(ctx: TransportContext, req: IncomingMessage): Replies {
  return ctx.sharedReplies && req.headers[logModeHeaderName] === 'shared' ? ctx.sharedReplies : ctx.replies;
}

const logModeHeaderName = logModeHeader.toLowerCase();

/** Why a response's generation ended, where the transport knows better than the count (see `endedBy`). */
const ended = new WeakMap<object, GenerationEnd>();

/** Records that the transport itself ended this response's generation early (`cut`, `max tokens`). */
export function endedBy(res: object, reason: GenerationEnd): void {
  ended.set(res, reason);
}

/**
 * What one response's generation did: tokens `from` to `position - 1`. All of them: `complete`;
 * stopped where the model fails: `failed`; otherwise `known` (what the transport said), else the
 * client went away.
 */
export function generationReport(reply: Reply, from: number, position: number, known?: GenerationEnd): GenerationReport {
  const of = reply.tokens.length;
  const fail = failsAt(reply);
  // An upstream reply still streaming has no end yet: whoever left, left early.
  const unfinished = reply.upstream !== undefined && !reply.upstream.finished;
  const reason = unfinished
    ? (known ?? 'client closed')
    : fail !== null && position === fail
      ? 'failed'
      : position >= of
        ? 'complete'
        : (known ?? 'client closed');
  return { from, generated: Math.max(0, position - from), of, reason };
}

export { drained, send } from '../sse/eventStream.ts';
