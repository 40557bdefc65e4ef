import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { findProgram, freePort } from '../programs.ts';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A private redis-server for the shared reply log (`npm start` with no `STREAMSCOPE_REDIS_URL`
 * of its own, and the tests): on a free loopback port, in a temporary folder, nothing saved to
 * disk, bounded in memory. The one place that finds and runs redis-server.
 */
export interface RedisServer {
  /** e.g. `redis://127.0.0.1:40123` */
  url: string;
  port: number;
  /** The folder redis-server runs in (removed by `stop`). */
  dir: string;
  /** Kills redis-server (its data is gone: nothing is saved) and removes its folder. */
  stop(): Promise<void>;
  /**
   * Kills redis-server if it runs, and starts a new, empty one on the same port (tests of a
   * Redis that goes away and comes back). Resolves once it answers PING.
   */
  restart(): Promise<void>;
}

/** The redis-server binary: `REDIS_SERVER_PATH`, or `redis-server` on PATH or in a usual place; null when there is none. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | null {
  return findProgram('redis-server', 'REDIS_SERVER_PATH', ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'], env);
}

/** Why a private redis-server cannot be started here (for a skipped test or the terminal), or null when it can. */
export function redisMissing(env: NodeJS.ProcessEnv = process.env): string | null {
  if (findRedisServer(env)) return null;
  return env.REDIS_SERVER_PATH
    ? `REDIS_SERVER_PATH (${env.REDIS_SERVER_PATH}) is not an executable file`
    : 'redis-server is not installed (Debian: apt-get install redis-server), or set REDIS_SERVER_PATH';
}

export interface StartRedisOptions {
  /** A loopback port to listen on. @default a free one */
  port?: number;
  /** @default findRedisServer() */
  binary?: string;
  /** Memory Redis may use; past it the keys nearest their expiry go first (`volatile-ttl`). @default '256mb' */
  maxmemory?: string;
  /** ms to wait for PONG. @default 5000 */
  startTimeoutMs?: number;
}

/**
 * Runs `redis-server --port N --bind 127.0.0.1 --dir <temp> --save '' --appendonly no
 * --maxmemory 256mb --maxmemory-policy volatile-ttl` as a child process (not daemonized) and
 * resolves once it answers PING; rejects with redis-server's own words if it exits first.
 * `volatile-ttl`: every key the reply log writes has an expiry, and under memory pressure the
 * ones nearest it (finished logs) go before the ones being generated.
 */
export async function startRedisServer({
  port,
  binary = findRedisServer() ?? '',
  maxmemory = '256mb',
  startTimeoutMs = 5000,
}: StartRedisOptions = {}): Promise<RedisServer> {
  if (!binary) throw new Error(redisMissing() ?? 'redis-server is not installed');
  // A free port is free when asked for, but another program may take it first: retry with another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, port ?? (await freePort()), maxmemory, startTimeoutMs);
    } catch (error) {
      if (port !== undefined || attempt >= 3 || !/Address already in use/i.test((error as Error).message)) throw error;
    }
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  dir: string;
}

async function startOnce(binary: string, port: number, maxmemory: string, startTimeoutMs: number): Promise<RedisServer> {
  let running: Running | null = await run(binary, port, maxmemory, startTimeoutMs);
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir: running.dir,
    async stop() {
      const was = running;
      running = null;
      if (was) await kill(was);
    },
    async restart() {
      await server.stop();
      running = await run(binary, port, maxmemory, startTimeoutMs);
      server.dir = running.dir;
    },
  };
  return server;
}

async function run(binary: string, port: number, maxmemory: string, startTimeoutMs: number): Promise<Running> {
  const dir = mkdtempSync(path.join(tmpdir(), 'streamscope-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  args.push('--maxmemory', maxmemory, '--maxmemory-policy', 'volatile-ttl', '--daemonize', 'no');
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (text: string): void => {
    // Keep the start of what it says: enough to explain a failure, bounded however long it runs.
    if (output.length < 8192) output += text;
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    const done = (): void => {
      gone = true;
      resolve();
    };
    child.once('exit', done);
    child.once('error', (error) => {
      keep(String(error));
      done();
    });
  });
  const running = { child, exited, dir };
  // Its own words first: a PONG alone could come from another Redis already on the port.
  const ready = (): boolean => gone || /Ready to accept connections/.test(output);
  if (!(await waitFor(ready, startTimeoutMs)) || gone || !(await waitForPong(port, startTimeoutMs, () => gone))) {
    await kill(running);
    const said = output.split('\n').find((line) => /#|error|fatal/i.test(line) && !/oO0OoO0OoO0Oo|Redis version|Configuration loaded/.test(line));
    throw new Error(`redis-server did not start on port ${port}: ${said?.trim() || output.trim().slice(-500) || `no PONG within ${startTimeoutMs} ms`}`);
  }
  return running;
}

/** TERM, then KILL if it is still there after 3 s; then its folder goes. */
async function kill({ child, exited, dir }: Running): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** Whether Redis on the port answers `PING` with `+PONG` before the deadline (and before `gaveUp()`). */
async function waitForPong(port: number, timeoutMs: number, gaveUp: () => boolean): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && !gaveUp()) {
    if (await ping(port)) return true;
    await sleep(20);
  }
  return false;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let said = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      said += chunk.toString('latin1');
      // "-LOADING" and the like: not ready yet.
      if (said.includes('\r\n')) done(said.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
