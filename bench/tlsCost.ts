/**
 * What watching TLS costs: the same SSE load over plain HTTP/1.1, over the HTTPS port with
 * HTTP/1.1 and with HTTP/2 (TLS ended in JavaScript, so the tap sees the records and the
 * plaintext), and over Node's own HTTP/2 secure server for comparison (TLS read natively, not
 * tappable), each with a tap reader on the run. Reports the server's CPU time per token and
 * tokens per second, and their ratios to plain HTTP/1.1.
 *
 *   node --import tsx bench/tlsCost.ts [streams=10] [seconds=4] [--no-tap]
 *   npm run bench -- --only tls      (both, with a tap reader and without, as table rows)
 *
 * `--no-tap`: nobody reads the tap (what ending TLS in JavaScript costs by itself). Tokens are
 * paced (`tps`), so tokens/s shows delivery, not capacity; CPU per token is the cost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { createInterface } from 'node:readline';
import path from 'node:path';
import type { BenchConfig } from './options.ts';
import { format, type Figure, type Log, type SectionResult } from './figures.ts';
import { ratio } from './stats.ts';
import { stop } from './processes.ts';

const run = 'tlscost';
const tps = 1000;

interface Result {
  label: string;
  tokens: number;
  cpuMs: number;
  wallMs: number;
  tapMB: number;
}

/** The server process's CPU time so far, in ms (user + system, from /proc). */
function serverCpuMs(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Counts `event: token` lines in a body as it streams. */
function counter(): { add(chunk: Buffer | string): void; tokens: number } {
  let tail = '';
  return {
    tokens: 0,
    add(chunk) {
      const textChunk = tail + String(chunk);
      this.tokens += textChunk.split('event: token').length - 1;
      tail = textChunk.slice(-12);
    },
  };
}

type Count = ReturnType<typeof counter>;

/** Streams `streams` SSE replies over each path, one path after another, and measures the server's CPU for each. */
export async function measureTlsCost({ streams, seconds, withTap }: { streams: number; seconds: number; withTap: boolean }): Promise<Result[]> {
  // About tps × seconds tokens per stream.
  const text = encodeURIComponent('word '.repeat(Math.min(3800, tps * seconds)));
  const query = `/api/stream/sse?tps=${tps}&ttft=0&run=${run}&text=${text}`;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'tlsCostServer.ts')], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  try {
    const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    const ports = JSON.parse(first) as { plain: number; tls: number; native: number; ca: string };
    const ca = readFileSync(ports.ca, 'utf8');

    const viaHttp1 =
      (get: typeof http.get, options: object) =>
      (count: Count): Promise<void> =>
        new Promise((resolve, reject) => {
          get({ ...options, path: query, agent: false }, (res) => {
            res.on('data', (d: Buffer) => count.add(d));
            res.on('end', resolve);
          }).on('error', reject);
        });
    let session: http2.ClientHttp2Session | undefined;
    const viaH2 =
      (port: number) =>
      (count: Count): Promise<void> =>
        new Promise((resolve, reject) => {
          session ??= http2.connect(`https://127.0.0.1:${port}`, { ca });
          const req = session.request({ ':path': query });
          req.on('data', (d: Buffer) => count.add(d));
          req.on('end', resolve);
          req.on('error', reject);
        });
    const modes: { label: string; open(count: Count): Promise<void> }[] = [
      { label: 'plain HTTP/1.1', open: viaHttp1(http.get, { host: '127.0.0.1', port: ports.plain }) },
      { label: 'TLS + HTTP/1.1 (tapped)', open: viaHttp1(https.get, { host: '127.0.0.1', port: ports.tls, ca, ALPNProtocols: ['http/1.1'] }) },
      { label: 'TLS + HTTP/2 (tapped)', open: viaH2(ports.tls) },
      {
        label: 'TLS + HTTP/1.1 (Node native, untapped)',
        open: viaHttp1(https.get, { host: '127.0.0.1', port: ports.native, ca, ALPNProtocols: ['http/1.1'] }),
      },
      { label: 'TLS + HTTP/2 (Node native, untapped)', open: viaH2(ports.native) },
    ];

    // A tap reader on the run, over plain HTTP, reading everything (bytes counted).
    let tapBytes = 0;
    const tap = withTap
      ? http.get({ host: '127.0.0.1', port: ports.plain, path: `/api/tap?run=${run}`, agent: false }, (res) =>
          res.on('data', (d: Buffer) => (tapBytes += d.length)),
        )
      : undefined;
    tap?.on('error', () => {});

    const results: Result[] = [];
    // Warm up (JIT) on every path first, unmeasured.
    for (const mode of modes) await mode.open(counter());
    for (const mode of modes) {
      session?.close();
      session = undefined;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const count = counter();
      const tap0 = tapBytes;
      const cpu0 = serverCpuMs(child);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: streams }, () => mode.open(count)));
      const wallMs = performance.now() - t0;
      const cpuMs = serverCpuMs(child) - cpu0;
      results.push({ label: mode.label, tokens: count.tokens, cpuMs, wallMs, tapMB: (tapBytes - tap0) / 2 ** 20 });
    }
    session?.close();
    tap?.destroy();
    return results;
  } finally {
    await stop(child);
  }
}

const perToken = (r: Result): number => (r.cpuMs * 1000) / r.tokens;

/** `npm run bench -- --only tls`: the five paths with a tap reader, then without, as rows against plain HTTP/1.1. */
export async function tlsCost(config: BenchConfig, log: Log): Promise<SectionResult> {
  const streams = 10;
  const seconds = config.quick ? 2 : 4;
  const details: Record<string, Result[]> = {};
  const figures: Figure[] = [];
  for (const withTap of [true, false]) {
    const results = await measureTlsCost({ streams, seconds, withTap });
    const reader = withTap ? 'a tap reader' : 'no tap reader';
    details[withTap ? 'tapReader' : 'noTapReader'] = results;
    const base = results[0]!;
    for (const r of results) {
      log(
        `tls cost, ${reader}: ${r.label}: ${format(perToken(r))} µs/token of server CPU, ${format((r.tokens * 1000) / r.wallMs)} tokens/s, tap ${format(r.tapMB)} MB`,
      );
      if (r === base) continue;
      figures.push({
        section: 'tls cost',
        name: `SSE ${streams}×${tps} tokens/s, ${reader}: server CPU per token, ${r.label}`,
        value: perToken(r),
        unit: 'µs',
        baseline: { label: base.label, value: perToken(base) },
        ratio: ratio(perToken(r), perToken(base)),
      });
    }
  }
  return { figures, details };
}

// Run directly: the old command line, one table printed.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const withTap = !process.argv.includes('--no-tap');
  const streams = Number(args[0] ?? 10);
  const results = await measureTlsCost({ streams, seconds: Number(args[1] ?? 4), withTap });
  const base = results[0]!;
  console.log(
    `\nSSE, ${streams} streams at ${tps} tokens/s each, ${withTap ? 'a tap reader on the run' : 'no tap reader'}; server CPU per token and tokens delivered per second:\n`,
  );
  for (const r of results) {
    console.log(
      `  ${r.label.padEnd(40)} ${perToken(r).toFixed(1).padStart(6)} µs/token (${(perToken(r) / perToken(base)).toFixed(2)}x)   ` +
        `${Math.round((r.tokens * 1000) / r.wallMs)
          .toString()
          .padStart(6)} tokens/s (${((r.tokens / r.wallMs) * (base.wallMs / base.tokens)).toFixed(2)}x)   tap ${r.tapMB.toFixed(1)} MB`,
    );
  }
}
