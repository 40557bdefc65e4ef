import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../../testing/listen.ts';
import { faultsRoutes } from './faultsRoutes.ts';
import { dechunk, payloadAfterEachRead, rawGet } from '../../testing/rawHttp.ts';

let server: Listening;
beforeAll(async () => {
  server = await listen({ routes: (app, ctx) => app.use(faultsRoutes(ctx)) });
});
afterAll(() => server.close());

// Eight tokens 50 ms apart, so tokens that are let through cannot share one read.
const query = 'text=one%20two%20three%20four%20five%20six%20seven%20eight&tps=20&ttft=0&jitter=0';

/** Browsers send `gzip, deflate, br`, and the middleware prefers brotli: both hold tokens back alike. */
const codings = {
  gzip: { accept: 'gzip', inflate: (bytes: Buffer, flush: boolean) => zlib.gunzipSync(bytes, flush ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {}) },
  br: {
    accept: 'gzip, deflate, br',
    inflate: (bytes: Buffer, flush: boolean) => zlib.brotliDecompressSync(bytes, flush ? { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH } : {}),
  },
};

/** What a browser could decompress from the bytes received so far (a prefix of the stream). */
function readablePrefix(inflate: (bytes: Buffer, flush: boolean) => Buffer, bytes: Buffer): string {
  try {
    return bytes.length === 0 ? '' : inflate(bytes, true).toString();
  } catch {
    return '';
  }
}

/**
 * The compressed stream at `path`, read through a socket, checked against the same stream
 * uncompressed; returns what was readable after each read.
 */
async function compressed(path: string, coding: keyof typeof codings, acceptEncoding: string): Promise<string[]> {
  const { inflate } = codings[coding];
  const [response, direct] = await Promise.all([
    rawGet(`${server.url}${path}`, { 'Accept-Encoding': acceptEncoding }),
    rawGet(`${server.url}/api/stream/sse?${query}`),
  ]);
  expect(response.status).toBe(200);
  expect(response.headers['content-encoding']).toBe(coding);
  expect(response.headers['transfer-encoding']).toBe('chunked');
  expect(response.headers['content-type']).toBe('text/event-stream');
  const { payload, complete } = dechunk(response.body);
  expect(complete).toBe(true);
  // The whole body decompresses to exactly the uncompressed stream.
  expect(inflate(payload, false).toString()).toBe(dechunk(direct.body).payload.toString());
  return payloadAfterEachRead(response).map((bytes) => readablePrefix(inflate, bytes));
}

/** Without a flush, no token is readable before the end: the first read with one has them all. */
function expectHeldBack(readable: string[]): void {
  const firstToken = readable.findIndex((t) => t.includes('event: token'));
  expect(firstToken).toBeGreaterThanOrEqual(0);
  expect(readable[firstToken]).toContain('event: done');
}

/** With a flush after each event, several reads each made more tokens readable. */
function expectOneByOne(readable: string[]): void {
  const firstToken = readable.findIndex((t) => t.includes('event: token'));
  expect(firstToken).toBeGreaterThanOrEqual(0);
  expect(readable[firstToken]).not.toContain('event: done');
  expect(new Set(readable.filter((t) => t.includes('event: token'))).size).toBeGreaterThan(2);
}

describe.each(Object.entries(codings) as [keyof typeof codings, (typeof codings)[keyof typeof codings]][])(
  'GET /api/labs/faults/compressed/sse, %s',
  (coding, { accept }) => {
    it('without flush, the compressor holds the tokens back: none is readable before the end', async () => {
      expectHeldBack(await compressed(`/api/labs/faults/compressed/sse?${query}&flush=false`, coding, accept));
    });

    it('with flush=true, each event decompresses as soon as it arrives', async () => {
      expectOneByOne(await compressed(`/api/labs/faults/compressed/sse?${query}&flush=true`, coding, accept));
    });
  },
);

describe("the gzip lanes' own paths: gzip even for a browser that offers brotli", () => {
  const browser = 'gzip, deflate, br, zstd';

  it('GET /api/labs/faults/gzip/sse holds the tokens back', async () => {
    expectHeldBack(await compressed(`/api/labs/faults/gzip/sse?${query}`, 'gzip', browser));
  });

  it('GET /api/labs/faults/gzip-flushed/sse lets each event through', async () => {
    expectOneByOne(await compressed(`/api/labs/faults/gzip-flushed/sse?${query}`, 'gzip', browser));
  });

  it('sends plain SSE to a client that accepts no gzip', async () => {
    const response = await rawGet(`${server.url}/api/labs/faults/gzip/sse?text=hi&tps=1000&ttft=0`, { 'Accept-Encoding': 'br' });
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(dechunk(response.body).payload.toString()).toContain('event: done');
  });
});

it('leaves the stream alone for a client that does not accept compression', async () => {
  const response = await rawGet(`${server.url}/api/labs/faults/compressed/sse?text=hi&tps=1000&ttft=0`);
  expect(response.headers['content-encoding']).toBeUndefined();
  expect(dechunk(response.body).payload.toString()).toContain('event: done');
});
