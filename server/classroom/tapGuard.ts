import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { Problem } from '../problem.ts';
import type { TapListener } from '../wiretap/wireTap.ts';
import type { Presenter } from './presenter.ts';

/** What one tap reader may see: which connections, and whether secrets arrive masked. */
export type TapView = Pick<TapListener, 'accepts' | 'masked'>;

/**
 * The tap's guard in classroom mode: the wire tap shows every byte of every connection, so on a
 * classroom network a student's inspector must not become a window on the others' traffic. The
 * presenter sees everything as it is; anyone else sees only connections from their own address,
 * with `Cookie`, `Set-Cookie` and `Authorization` values masked (students behind one NAT share
 * an address). Loopback mode needs no guard: only this machine can connect.
 */
export function tapGuard(presenter: Presenter): (req: Pick<IncomingMessage, 'headers' | 'socket'>) => TapView {
  return (req) => {
    if (presenter.isPresenter(req)) return {};
    const own = plainAddress(req.socket.remoteAddress ?? '');
    // An unknown address (a socket already gone) matches nothing, not other unknowns.
    return { accepts: (remoteAddress) => own !== '' && plainAddress(remoteAddress) === own, masked: true };
  };
}

/**
 * `/lb/api/tap` reaches the tap of a load-balanced instance, whose every connection comes from
 * the balancer's own address: no guard there can tell students apart. In classroom mode only the
 * presenter may read it.
 */
export function balancedTapGuard(presenter: Presenter): RequestHandler {
  return (req, _res, next) => {
    if (presenter.isPresenter(req)) return next();
    throw new Problem(
      403,
      "In classroom mode only the presenter may read the balanced instances' wire tap (it shows every student's traffic). Use /api/tap: it shows your own connections.",
    );
  };
}

/** An IPv4 client of a dual-stack server shows as `::ffff:10.0.0.5`: the same client as `10.0.0.5`. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
