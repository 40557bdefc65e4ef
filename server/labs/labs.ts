import type { AppOptions } from '../app.ts';
import { faultsRoutes } from './faults/faultsRoutes.ts';
import { HttpLab } from './httpFeatures/httpLab.ts';
import { httpFeaturesRoutes } from './httpFeatures/httpFeaturesRoutes.ts';
import { startSecondOrigin, type SecondOrigin } from './httpFeatures/secondOrigin.ts';
import { LoadBalancer } from './loadBalancer/LoadBalancer.ts';
import { loadBalancerRoutes } from './loadBalancer/routes.ts';
import { loadBalancerProxy, loadBalancerUpgrade } from './loadBalancer/proxy.ts';
import { websocketTransport } from '../transports/websocket.ts';
import { runOf } from '../wiretap/wireTap.ts';
import { findNginx, startNginx, type NginxFront } from './nginx/nginxFront.ts';
import { giveLearnerId } from './learner.ts';
import type { Request } from 'express';
import type { ReplyLog } from '../replies/replyLog.ts';
import { duplexLab } from './duplex/duplexLab.ts';
import type { Presenter } from '../classroom/presenter.ts';

/** The lab's own WebSocket: the same transport, with an Origin check the class can switch off. */
export const labSocketPath = '/api/labs/http/ws';

export interface LabsOptions {
  /** Passed to the balanced instances' `createApp`. */
  allowedOrigins?: readonly string[];
  /** Also put real nginx in front of the balanced instances, if it is installed. @default false */
  nginx?: boolean;
  /**
   * Who may stop a balanced instance for everyone (`…/kill?everyone=true`); every other kill is
   * the learner's own. Classroom mode: the presenter. @default anyone
   */
  crash?: (req: Request) => boolean;
  /** The reply log the balanced instances share when a learner switches the lab's log to shared. @default one in memory */
  sharedReplyLog?: ReplyLog;
  /**
   * The main server's presenter, also the balanced instances': the presenter's browser sends its
   * cookie to their ports too (cookies ignore ports), and their taps mask its token for everyone,
   * as the main one does. @default each instance a random one of its own
   */
  presenter?: Presenter;
}

/** The labs, ready to hand to `createApp` (their routes and upgrade hooks) and to stop. */
export interface Labs {
  options: Pick<AppOptions, 'routes' | 'upgrade' | 'onUpgrade'>;
  httpLab: HttpLab;
  lb: LoadBalancer;
  /** Real nginx in front of the same instances (`nginx: true` and nginx installed), or null. */
  nginx: NginxFront | null;
  /** Why `nginx` is null although it was asked for: not installed, or it failed to start. */
  nginxSkipped: string | null;
  /** Once the main server listens: serves the page from a second origin (port + 1, or any). */
  startSecondOrigin(mainPort: number, staticDir: string, host: string): Promise<SecondOrigin>;
  close(): Promise<void>;
}

/**
 * Starts every lab: the HTTP features lab (login, access log, CORS, caching), the faults lab,
 * and the load balancer with its three instances (and, asked to, real nginx in front of them).
 */
export async function startLabs({ allowedOrigins = [], nginx: withNginx = false, crash, sharedReplyLog, presenter }: LabsOptions = {}): Promise<Labs> {
  const httpLab = new HttpLab();
  const lb = await LoadBalancer.start({ backend: { allowedOrigins, ...(presenter ? { presenter } : {}) }, sharedReplyLog });
  let nginx: NginxFront | null = null;
  let nginxSkipped: string | null = null;
  if (withNginx) {
    // The lab runs without it: nginx is an extra, and a missing or broken one says why.
    if (findNginx() === null) nginxSkipped = 'nginx is not installed (apt-get install nginx-light, or set NGINX_PATH)';
    else {
      try {
        nginx = await startNginx({ instances: lb.state().instances });
      } catch (error) {
        nginxSkipped = (error as Error).message;
      }
    }
  }
  const upgrade = loadBalancerUpgrade(lb);
  let second: SecondOrigin | undefined;
  let labSocket: ReturnType<typeof websocketTransport> | undefined;
  const duplex = duplexLab({ allowedOrigins });
  return {
    httpLab,
    lb,
    nginx,
    nginxSkipped,
    options: {
      routes: (app, ctx) => {
        labSocket = websocketTransport(ctx, { originAllowed: httpLab.wsOriginAllows });
        // Every browser that loads the page gets its learner id: the labs keep their state per learner.
        app.use(giveLearnerId);
        app.use(faultsRoutes(ctx));
        duplex.routes(app, ctx);
        app.use(httpFeaturesRoutes(ctx, httpLab));
        app.use(loadBalancerRoutes(lb, { ...ctx, crash }), loadBalancerProxy(lb, ctx));
      },
      upgrade: (req, socket, head, { tap, limiter }) => {
        const url = req.url ?? '';
        if (labSocket && (url === labSocketPath || url.startsWith(`${labSocketPath}?`))) {
          tap.assign(req, null, runOf(url));
          labSocket.handleUpgrade(req, socket, head);
          return true;
        }
        if (duplex.upgrade(req, socket, head, tap)) return true;
        return upgrade(req, socket, head, { tap, limiter });
      },
      onUpgrade: httpLab.logUpgrade,
    },
    async startSecondOrigin(mainPort, staticDir, host) {
      second = await startSecondOrigin(mainPort, staticDir, { host, port: mainPort + 1 }).catch(() =>
        startSecondOrigin(mainPort, staticDir, { host, port: 0 }),
      );
      httpLab.cors.secondOriginPort = second.port;
      return second;
    },
    async close() {
      labSocket?.close();
      duplex.close();
      await Promise.all([lb.close(), second?.close(), nginx?.close()]);
    },
  };
}
