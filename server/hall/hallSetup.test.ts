/** What `npm run hall` says when a program is missing, and the nginx.conf it writes for a hall. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hallMissing } from './hall.ts';
import { hallCookie, hallNginxConfig } from './hallNginxConfig.ts';

const script = path.join(import.meta.dirname, '../../scripts/hall.ts');

describe('npm run hall without its programs', () => {
  it('names each missing program and how to install it', () => {
    const missing = hallMissing({ PATH: '/nowhere', REDIS_SERVER_PATH: '/nowhere/redis-server', NGINX_PATH: '/nowhere/nginx' });
    expect(missing).toEqual(['REDIS_SERVER_PATH (/nowhere/redis-server) is not an executable file', 'NGINX_PATH (/nowhere/nginx) is not an executable file']);
    expect(hallMissing({ PATH: '/nowhere', NGINX_PATH: '/nowhere/nginx' }).join('; ')).toMatch(/NGINX_PATH/);
  });

  it('stops before starting anything, saying what to install', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, NGINX_PATH: '/nowhere/nginx' } });
    const failed = (await run.then(
      () => null,
      (error: unknown) => error,
    )) as { code: number; stderr: string } | null;
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('NGINX_PATH (/nowhere/nginx) is not an executable file');
    expect(failed?.stderr).toContain('apt-get install redis-server nginx-light');
  }, 30_000);
});

describe('the nginx.conf of a hall', () => {
  it('keeps each browser on one process by a cookie, and sends it to another when its process is down', () => {
    const conf = hallNginxConfig({ port: 8080, host: '0.0.0.0', servers: ['10.0.0.11:3000', '10.0.0.12:3000'] });
    expect(conf).toContain('listen 0.0.0.0:8080;');
    expect(conf).toContain(`map $cookie_${hallCookie} $hall_key`);
    expect(conf).toContain('hash $hall_key consistent;');
    expect(conf).toContain('server 10.0.0.11:3000 max_fails=1 fail_timeout=1s;');
    expect(conf).toContain('server 10.0.0.12:3000 max_fails=1 fail_timeout=1s;');
    expect(conf).toContain('worker_connections 8192;');
    expect(hallNginxConfig({ port: 1, servers: ['127.0.0.1:2'] })).toContain('listen 127.0.0.1:1;');
  });
});
