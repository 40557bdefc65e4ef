/**
 * Test helpers: the lab wired into a real main server exactly as main.ts wires it, over real
 * sockets, and a fetch with a cookie jar (what a browser tab is to the sticky balancer).
 */
import { listen, type Listening } from '../../testing/listen.ts';
import { LoadBalancer, type LoadBalancerOptions } from './LoadBalancer.ts';
import { loadBalancerRoutes } from './routes.ts';
import { loadBalancerProxy, loadBalancerUpgrade } from './proxy.ts';

export interface Lab {
  lb: LoadBalancer;
  main: Listening;
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  close(): Promise<void>;
}

export async function startLab(options: LoadBalancerOptions = {}): Promise<Lab> {
  const lb = await LoadBalancer.start({ ...options, backend: { retryMs: 20, ...options.backend } });
  const main = await listen({
    routes: (app, ctx) => app.use(loadBalancerRoutes(lb, ctx), loadBalancerProxy(lb, ctx)),
  });
  main.server.on('upgrade', loadBalancerUpgrade(lb, { tap: main.tap, limiter: main.limiter }));
  return {
    lb,
    main,
    url: main.url,
    close: async () => {
      await lb.close();
      await main.close();
    },
  };
}

/** One response as the jar saw it. */
export interface Seen {
  url: string;
  status: number;
  instance: string | null;
  lastEventId: string | null;
  /** The reply the response names (`X-Streamscope-Reply`). */
  reply: string | null;
}

/** A fetch that keeps cookies like a browser tab and notes each response's instance. */
export function cookieFetch(): { fetch: typeof fetch; cookies: Map<string, string>; seen: Seen[] } {
  const cookies = new Map<string, string>();
  const seen: Seen[] = [];
  const jarFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    seen.push({
      url: String(input),
      status: response.status,
      instance: response.headers.get('x-streamscope-instance'),
      lastEventId: headers.get('last-event-id'),
      reply: response.headers.get('x-streamscope-reply'),
    });
    return response;
  };
  return { fetch: jarFetch as typeof fetch, cookies, seen };
}
