import net from 'node:net';

export interface Answer {
  /** 0: the server closed the connection without answering. */
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The body, or what of it came before the exchange stopped (nothing of a stream). */
  body: string;
}

export interface ExchangeOptions {
  /**
   * Half-closes the socket after the request: a server still waiting for more (a head that is
   * not over yet) must then answer or close, instead of keeping the test waiting. @default false
   */
  end?: boolean;
}

/**
 * Writes `request` (any bytes, however malformed) on a fresh socket and reads the answer: the
 * whole body of a `Content-Length` answer, only the head of a stream (an SSE stream is open
 * after its head: that is all a fuzz case needs to know). Then closes the socket.
 */
export function exchange(port: number, request: string | Buffer | readonly (string | Buffer)[], { end = false }: ExchangeOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (answer: Answer): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(answer);
    };
    socket.on('connect', () => {
      for (const piece of Array.isArray(request) ? request : [request]) socket.write(piece);
      if (end) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = parse(received);
      if (answer) finish(answer);
    });
    socket.on('end', () => finish(parse(received, true) ?? { status: 0, headers: {}, body: received.toString('latin1') }));
    socket.on('close', () => finish({ status: 0, headers: {}, body: received.toString('latin1') }));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may answer and close before we finished writing a large request.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return finish(parse(received, true) ?? { status: 0, headers: {}, body: '' });
      if (!settled) reject(error);
    });
  });
}

/** The answer in `bytes` once it is complete enough; with `ended`, whatever is there. */
function parse(bytes: Buffer, ended = false): Answer | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...fields] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(':');
    headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim();
  }
  const status = Number(statusLine.split(' ')[1]);
  const body = bytes.subarray(headEnd + 4);
  if (status === 101 || headers['content-type']?.startsWith('text/event-stream')) return { status, headers, body: '' };
  const length = Number(headers['content-length'] ?? NaN);
  if (Number.isInteger(length) && body.length >= length) return { status, headers, body: body.subarray(0, length).toString('utf8') };
  return ended ? { status, headers, body: body.toString('utf8') } : undefined;
}

/** Why `answer` is not a clear error (problem+json with a `detail`), or `null` if it is one. */
export function notAProblem(answer: Answer): string | null {
  if (answer.status < 400 || answer.status >= 500) return `status ${answer.status}`;
  if (!/^application\/problem\+json/.test(answer.headers['content-type'] ?? '')) return `content-type ${answer.headers['content-type']}`;
  try {
    const problem = JSON.parse(answer.body) as { status?: unknown; detail?: unknown };
    if (problem.status !== answer.status) return `problem status ${String(problem.status)}`;
    if (typeof problem.detail !== 'string' || problem.detail.length < 10) return `detail ${JSON.stringify(problem.detail)}`;
  } catch {
    return `body ${JSON.stringify(answer.body.slice(0, 200))}`;
  }
  return null;
}
