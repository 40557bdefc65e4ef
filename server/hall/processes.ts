/**
 * Streamscope servers in processes of their own (`serverProcess.ts`): the processes of a hall, and
 * "another process" for the tests that need several sharing one Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const entry = path.join(import.meta.dirname, 'serverProcess.ts');

export interface ServerProcess {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGTERM: the server closes its streams and lets go of Redis. */
  stop(): Promise<void>;
  /** SIGKILL: the process dies mid-class, as a crashed machine would. */
  kill(): Promise<void>;
}

export interface ServerProcessOptions {
  /** Added to this process's environment (`STREAMSCOPE_REDIS_URL`, `STREAMSCOPE_PRESENTER_TOKEN`, `STREAMSCOPE_STATIC_DIR`, `PORT`…). */
  env?: NodeJS.ProcessEnv;
  /** Where its stderr goes: `inherit` (the terminal), or `ignore`. @default 'inherit' */
  stderr?: 'inherit' | 'ignore';
  /** ms to wait for it to listen. @default 30000 */
  startTimeoutMs?: number;
}

/** Starts one server process; resolves once it listens, rejects with what it printed if it exits first. */
export function startServerProcess({ env = {}, stderr = 'inherit', startTimeoutMs = 30_000 }: ServerProcessOptions = {}): Promise<ServerProcess> {
  // One process per server (not `npx tsx`, which leaves a chain behind when killed).
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', stderr] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server process did not listen within ${startTimeoutMs} ms: ${out}`));
    }, startTimeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (out.length < 8192) out += chunk.toString();
      const port = /listening (\d+)/.exec(out)?.[1];
      if (!port) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({ url: `http://127.0.0.1:${port}`, port: Number(port), child, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server process exited (${code}) before it listened: ${out}`));
    });
  });
}
