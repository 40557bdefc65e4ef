import type { ErrorRequestHandler, Response } from 'express';

/**
 * An error a client caused, answered as RFC 9457 `application/problem+json`.
 * `detail` is written for a person: it names the parameter and what would be accepted.
 * https://www.rfc-editor.org/rfc/rfc9457
 */
export class Problem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** The offending parameter, when there is one (also sent as `param`). */
  readonly param: string | undefined;
  /** Members of its own (RFC 9457 extension members) that a client acts on, such as a broadcast's `expected` seq. */
  readonly extensions: Record<string, unknown> | undefined;

  constructor(status: number, detail: string, param?: string, extensions?: Record<string, unknown>) {
    super(detail);
    this.status = status;
    this.title = titles[status] ?? 'Error';
    this.detail = detail;
    this.param = param;
    this.extensions = extensions;
  }

  /** The JSON body. OpenAI clients read `error.message`, so `/v1` answers carry it too. */
  toJSON(openai = false): Record<string, unknown> {
    const body: Record<string, unknown> = { type: 'about:blank', title: this.title, status: this.status, detail: this.detail };
    if (this.param) body.param = this.param;
    if (this.extensions) Object.assign(body, this.extensions);
    if (openai)
      body.error = { message: this.detail, type: this.status >= 500 ? 'server_error' : 'invalid_request_error', param: this.param ?? null, code: null };
    return body;
  }
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  // Anthropic's "overloaded" (not an IANA status; its API uses it).
  529: 'Overloaded',
};

/** `body` defaults to the problem's own JSON; an API with its own error shape (anthropic.ts) passes its body. */
export function sendProblem(res: Response, problem: Problem, body: object = problem.toJSON(res.req.path.startsWith('/v1/'))): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(problem.status).type('application/problem+json').set('Cache-Control', 'no-store').send(JSON.stringify(body));
}

/** Last Express middleware: turns thrown Problems (and body-parser errors) into problem+json. */
export const problemHandler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  sendProblem(res, toProblem(err));
};

/** The Problem for any error: itself, a body-parser error (bad JSON, too large), or a 500 that is logged. */
export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  // body-parser errors carry `status` and `type`.
  const e = err as { status?: number; type?: string; limit?: number; message?: string };
  if (e.type === 'entity.parse.failed') return new Problem(400, `The request body is not valid JSON: ${e.message ?? ''}`.trim(), 'body');
  if (e.type === 'entity.too.large') return new Problem(413, `The request body is larger than the limit of ${e.limit} bytes.`, 'body');
  if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') return new Problem(415, e.message ?? 'Unsupported body encoding.', 'body');
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return new Problem(e.status, e.message ?? 'Bad request.');
  console.error(err);
  return new Problem(500, 'The server failed to answer this request; see its terminal for the error.');
}
