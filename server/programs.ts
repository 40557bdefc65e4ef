/** Finding and placing the programs the project starts itself (nginx, redis-server). */
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * A program the project starts itself (nginx, redis-server): the path in `env[override]` if one
 * is set (null if it is not executable), else `name` on PATH or in one of `usualPlaces` (Debian
 * puts daemons in /usr/sbin, often not on a user's PATH); null when there is none.
 */
export function findProgram(name: string, override: string, usualPlaces: readonly string[], env: NodeJS.ProcessEnv = process.env): string | null {
  const given = env[override];
  if (given) return executable(given) ? given : null;
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...usualPlaces];
  return dirs.map((dir) => path.join(dir, name)).find(executable) ?? null;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A port that is free on loopback right now (for a program started on it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
