/** Child processes of the bench: forked with tsx, awaited with a deadline, always stopped. */
import { fork, type ChildProcess } from 'node:child_process';

/** Forks a TypeScript module in its own Node process with an IPC channel. */
export function forkTs(modulePath: string, args: string[] = [], execArgv: string[] = []): ChildProcess {
  return fork(modulePath, args, { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/**
 * Resolves with the first IPC message `pick` accepts; rejects if the child exits first or
 * nothing comes within `timeoutMs` (then `what` says what was awaited).
 */
export function nextMessage<T>(child: ChildProcess, pick: (message: unknown) => T | undefined, what: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: unknown): void => {
      const picked = pick(message);
      if (picked === undefined) return;
      done();
      resolve(picked);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      done();
      reject(new Error(`${what}: the process exited first (${signal ?? `code ${code}`}).`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: nothing after ${timeoutMs / 1000} s.`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Ends a child this bench started, and waits until it is gone (SIGKILL if SIGTERM is not enough). */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
