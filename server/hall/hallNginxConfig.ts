import { nginxPreamble, streamProxyDirectives } from '../labs/nginx/nginxConfig.ts';

/** The cookie that keeps a browser on one process of a hall. */
export const hallCookie = 'streamscope_hall';

/** The response header in which nginx says which process answered (`host:port`). */
export const hallProcessHeader = 'X-Hall-Process';

export interface HallNginxConfigOptions {
  /** The port nginx listens on. */
  port: number;
  /** The address nginx listens on: loopback for `npm run hall`, `0.0.0.0` for a hall of several machines. @default '127.0.0.1' */
  host?: string;
  /** The hall's processes (on this machine, or others: `host:port`). */
  servers: readonly string[];
  /** Connections nginx's worker holds at once (a proxied follower takes two). @default 8192 */
  workerConnections?: number;
}

/**
 * An nginx.conf for a hall: every browser is kept on one process by a cookie (its page's tap sees
 * only the connections of the process that serves them, so a page, its tap and its streams must
 * meet on one process), browsers spread over the processes, and one whose process dies is sent
 * to another, where its event streams reconnect and pick up the class (`Last-Event-ID`). Every
 * path is relative to the prefix (`nginx -p <dir>`): nothing is written under /etc or /var.
 */
export function hallNginxConfig({ port, host = '127.0.0.1', servers, workerConnections = 8192 }: HallNginxConfigOptions): string {
  return `${nginxPreamble({ source: 'server/hall/hallNginxConfig.ts', purpose: 'a hall', workerConnections, rlimitNofile: workerConnections * 2 + 64 })}
  # One process per browser: a newcomer gets a random key, kept in a cookie.
  map $cookie_${hallCookie} $hall_key {
    '' $request_id;
    default $cookie_${hallCookie};
  }

  # A dead process refuses connections: nginx sends its browsers to the next one, and leaves it
  # alone for a second before trying it again.
  upstream streamscope_hall {
    hash $hall_key consistent;
${servers.map((server) => `    server ${server} max_fails=1 fail_timeout=1s;`).join('\n')}
  }

  server {
    listen ${host}:${port};

${streamProxyDirectives}    location / {
      add_header Set-Cookie "${hallCookie}=$hall_key; Path=/; HttpOnly; SameSite=Lax" always;
      # Which process answered (the last one tried): to see the spread, and a process die.
      add_header ${hallProcessHeader} $upstream_addr always;
      proxy_pass http://streamscope_hall;
    }
  }
}
`;
}
