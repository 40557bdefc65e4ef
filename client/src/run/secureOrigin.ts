/**
 * Where this page's streams over HTTPS (HTTP/2) go, and whether this browser can reach them.
 *
 * The page is usually opened over plain `http://host:3000`; the server's HTTPS port
 * (`GET /api/https`) serves the same API on `https://host:HTTPS_PORT`, with CORS for this page's
 * origin. Whether the browser trusts that port's certificate cannot be asked directly: a CORS
 * `fetch` to it fails with a `TypeError` when it does not (or when the port cannot be reached at
 * all), and then the learner opens the HTTPS page once and accepts the certificate (or trusts the
 * local CA the server printed). A page opened over `https:` is on that port already.
 */

export type SecureOrigin =
  /** Streams can be opened on `origin`. */
  | { state: 'ok'; origin: string }
  /** The server has an HTTPS port, but this browser could not reach it: `pageUrl` is the page to open and accept once. */
  | { state: 'untrusted'; origin: string; pageUrl: string }
  /** No HTTPS port (`HTTPS_PORT=off`, or its certificate could not be made), or the server could not say. */
  | { state: 'off'; reason: string };

export interface SecureOriginDeps {
  location: Pick<Location, 'protocol' | 'hostname' | 'origin' | 'pathname' | 'search'>;
  fetch: typeof fetch;
}

/** The HTTPS origin of `hostname` on `port`, IPv6 addresses in brackets. */
export function httpsOrigin(hostname: string, port: number): string {
  const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
  return `https://${host}:${port}`;
}

/** Finds the HTTPS origin and probes it (one request to this origin, one to that one). */
export async function findSecureOrigin(deps: SecureOriginDeps = { location: window.location, fetch: (...args) => fetch(...args) }): Promise<SecureOrigin> {
  const { location } = deps;
  if (location.protocol === 'https:') return { state: 'ok', origin: location.origin };
  let port: number | null;
  try {
    const res = await deps.fetch('/api/https', { cache: 'no-store' });
    if (res.status === 404) return { state: 'off', reason: 'this server has no HTTPS port' };
    if (!res.ok) return { state: 'off', reason: `the server answered ${res.status} when asked for its HTTPS port` };
    ({ port } = (await res.json()) as { port: number | null });
  } catch {
    return { state: 'off', reason: 'the server could not be asked for its HTTPS port' };
  }
  if (port === null || !Number.isInteger(port)) return { state: 'off', reason: 'this server serves no HTTPS (HTTPS_PORT=off, or no certificate)' };
  const origin = httpsOrigin(location.hostname, port);
  try {
    // CORS mode, no credentials: exactly what the EventSource will do.
    const res = await deps.fetch(`${origin}/api/https`, { mode: 'cors', credentials: 'omit', cache: 'no-store' });
    if (!res.ok) return { state: 'off', reason: `the HTTPS port answered ${res.status}` };
  } catch {
    // A TypeError: the certificate is not trusted (or the port is unreachable); the browser does not say which.
    return { state: 'untrusted', origin, pageUrl: `${origin}${location.pathname}${location.search}` };
  }
  return { state: 'ok', origin };
}

let found: Promise<SecureOrigin> | undefined;

/** The page's HTTPS origin, asked once per page load (`again` asks anew, after the learner accepted the certificate). */
export function secureOrigin(again = false): Promise<SecureOrigin> {
  if (again || !found) found = findSecureOrigin();
  return found;
}

/** One sentence for a person: why streams over HTTPS cannot be opened, and what to do. */
export function secureOriginProblem(origin: SecureOrigin): string | undefined {
  if (origin.state === 'ok') return undefined;
  if (origin.state === 'off') return `No HTTP/2 here: ${origin.reason}.`;
  return `This browser cannot reach ${origin.origin} yet: its certificate is not trusted (or the port is closed). Open the HTTPS page once and accept the certificate, then come back and run again.`;
}

/**
 * Why the HTTP/2 lane does not run on a page opened over HTTPS: there the page's every stream is
 * HTTP/2 already, on one connection with the page's own tap stream, and the tap reports no TLS
 * records of a connection that carries it (each report would travel in another record).
 */
export const pageOnHttps =
  'This page is itself on HTTPS, so every lane here already streams over HTTP/2, on the connection that also carries the page’s wire tap, whose TLS records are therefore not reported. Open the page over plain http:// to see HTTP/1.1 beside HTTP/2, and the TLS records.';
