import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nginxConfig } from './nginxConfig.ts';
import { findProgram, freePort } from '../../programs.ts';

/** Real nginx, running in front of the load-balancer lab's instances. */
export interface NginxFront {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  port: number;
  /** The folder with nginx.conf, the pid file and nginx's temp files (removed on close). */
  dir: string;
  /** Stops nginx (fast shutdown: open streams are cut) and removes its folder. */
  close(): Promise<void>;
}

/** The nginx binary: `NGINX_PATH`, or `nginx` on PATH or in a usual place; null when there is none. */
export function findNginx(env: NodeJS.ProcessEnv = process.env): string | null {
  return findProgram('nginx', 'NGINX_PATH', ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'], env);
}

export interface StartNginxOptions {
  instances: readonly { id: string; port: number }[];
  /** Connections nginx holds at once (`nginxConfig`). @default 1024 */
  workerConnections?: number;
  /** Writes the nginx.conf for a port (another set-up than the lab's, e.g. a hall's). @default the lab's `nginxConfig` */
  config?: (port: number) => string;
  /** @default findNginx() */
  binary?: string;
  /** ms to wait for nginx to accept connections. @default 5000 */
  startTimeoutMs?: number;
}

/**
 * Writes an nginx.conf (`nginxConfig`) into a fresh temporary folder and runs
 * `nginx -p <folder> -c nginx.conf -g 'daemon off;'` as a child process on a free loopback port.
 * Resolves once nginx accepts connections; rejects with nginx's own error output if it exits.
 */
export async function startNginx({
  instances,
  workerConnections,
  config = (port) => nginxConfig({ port, instances, ...(workerConnections ? { workerConnections } : {}) }),
  binary = findNginx() ?? '',
  startTimeoutMs = 5000,
}: StartNginxOptions): Promise<NginxFront> {
  if (!binary) throw new Error('nginx is not installed (apt-get install nginx-light), or set NGINX_PATH.');
  // The port is free when asked for, but another program may take it before nginx binds it: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, config, await freePort(), startTimeoutMs);
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/.test((error as Error).message)) throw error;
    }
  }
}

async function startOnce(binary: string, config: (port: number) => string, port: number, startTimeoutMs: number): Promise<NginxFront> {
  const dir = mkdtempSync(path.join(tmpdir(), 'streamscope-nginx-'));
  // Run as root, nginx's workers drop to an unprivileged user, which must reach the temp files here.
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'nginx.conf'), config(port));
  // -e: the log nginx writes before it has read the config (its compiled-in default may be under /var/log).
  const child = spawn(binary, ['-p', dir, '-c', 'nginx.conf', '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    // Keep the start of what it says: enough to explain a failure, bounded however long it runs.
    if (output.length < 8192) output += text;
  });
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    const done = (): void => {
      gone = true;
      resolve();
    };
    child.once('exit', done);
    child.once('error', done);
  });

  const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });
  if (!(await waitForPort(port, startTimeoutMs, () => gone))) {
    await stop(child, exited);
    cleanUp();
    throw new Error(`nginx did not start: ${output.trim() || `no answer on port ${port} within ${startTimeoutMs} ms`}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    async close() {
      await stop(child, exited);
      cleanUp();
    },
  };
}

/** TERM (nginx's fast shutdown), then KILL if it is still there after 3 s. */
async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Whether something accepts connections on the port before the deadline (and before `gaveUp()`). */
async function waitForPort(port: number, timeoutMs: number, gaveUp: () => boolean): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && !gaveUp()) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return true;
    await sleep(20);
  }
  return false;
}
