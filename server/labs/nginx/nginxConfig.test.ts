import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nginxConfig } from './nginxConfig.ts';
import { findNginx } from './nginxFront.ts';

const instances = [
  { id: 'a', port: 41001 },
  { id: 'b', port: 41002 },
  { id: 'c', port: 41003 },
];
const config = nginxConfig({ port: 40999, instances });
const nginx = findNginx();

describe('nginxConfig', () => {
  it.each([
    ['listens on loopback only', 'listen 127.0.0.1:40999;'],
    ['names every instance in both upstreams', 'server 127.0.0.1:41003 max_fails=1 fail_timeout=1s; # instance c'],
    ['speaks HTTP/1.1 to the instances (chunked streams, WebSocket)', 'proxy_http_version 1.1;'],
    ['passes the WebSocket upgrade on', 'proxy_set_header Upgrade $http_upgrade;'],
    ["keeps the Host, so the instances' Origin check sees the page's own host", 'proxy_set_header Host $http_host;'],
    ['hashes the sticky cookie', 'hash $sticky_key consistent;'],
    ['gives a newcomer a key and a cookie', 'add_header Set-Cookie "streamscope_lb=$sticky_key;'],
    ['accepts request heads as large as the app does', 'large_client_header_buffers 4 512k;'],
    ['writes its pid inside its own folder', 'pid nginx.pid;'],
  ])('%s', (_what, line) => {
    expect(config).toContain(line);
  });

  it('leaves proxy_buffering at its default: the streams turn it off themselves with X-Accel-Buffering: no', () => {
    expect(config).not.toMatch(/^\s*proxy_buffering\s/m);
  });

  it.skipIf(!nginx)(`is a config nginx accepts (nginx -t)${nginx ? '' : ' — skipped: nginx is not installed (apt-get install nginx-light)'}`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'streamscope-nginx-test-'));
    try {
      writeFileSync(path.join(dir, 'nginx.conf'), config);
      // nginx -t reports on stderr; execFileSync throws with it when the test fails.
      execFileSync(nginx!, ['-t', '-q', '-p', dir, '-c', 'nginx.conf', '-e', 'stderr'], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('findNginx', () => {
  it('takes NGINX_PATH when it is executable, and nothing else then', () => {
    expect(findNginx({ NGINX_PATH: '/nonexistent/nginx', PATH: '/usr/sbin:/usr/bin' })).toBeNull();
    expect(findNginx({ NGINX_PATH: process.execPath })).toBe(process.execPath);
  });

  it("looks on PATH, then in /usr/sbin (where Debian puts it, not on every user's PATH)", () => {
    expect(findNginx({ PATH: '' })).toBe(existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : findNginx({ PATH: '/usr/local/sbin:/usr/local/nginx/sbin' }));
  });
});
