import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Problem } from '../problem.ts';
import { OutgoingError } from '../upstream/outgoing.ts';

/**
 * What `GET /api/inspect/sse` may ask for: the server makes a request for a browser, so it is
 * guarded. Only `http:` and `https:`; bounded in time and size; redirects only to the same host
 * unless asked (`redirects=any`); never to a cloud's metadata service; in classroom mode (the
 * route also asks for the presenter) never to a link-local address either.
 */
export interface InspectLimits {
  urlMax: number;
  bodyMax: number;
  headersMax: number;
  headerMax: number;
  headMs: number;
  idleMs: number;
  totalMs: number;
  maxBytes: number;
  redirectsMax: number;
}

export const inspectLimits: Readonly<InspectLimits> = {
  /** Characters of `url`. */
  urlMax: 2048,
  /** Bytes of `body`. */
  bodyMax: 64 * 1024,
  /** `header` parameters. */
  headersMax: 20,
  /** Characters of one `header`. */
  headerMax: 8 * 1024,
  /** ms to wait for the response head. */
  headMs: 15_000,
  /** ms of silence on the inspected connection before it is cut. */
  idleMs: 60_000,
  /** ms an inspected stream may last. */
  totalMs: 10 * 60_000,
  /** Bytes relayed at most (the response body as it came, compressed or not). */
  maxBytes: 8 * 1024 * 1024,
  /** Redirects followed at most. */
  redirectsMax: 5,
};

export const inspectMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** `same-host` (the default): follow redirects to the same scheme, host and port only; `any`: anywhere (still guarded); `none`: relay no redirect. */
export type RedirectPolicy = 'same-host' | 'any' | 'none';

/** A request to inspect, checked. */
export interface InspectTarget {
  url: URL;
  method: (typeof inspectMethods)[number];
  body: string | null;
  /** Name and value, in the order given. */
  headers: [string, string][];
  redirects: RedirectPolicy;
}

/** Where the guard runs: classroom mode (`HOST` not loopback) refuses link-local addresses too. */
export interface GuardMode {
  classroom: boolean;
}

/** Headers a caller may not set: the connection's own framing, which Streamscope writes. */
const forbiddenHeaders = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection']);
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Reads and checks the query of `/api/inspect/sse`. Each bad value is a 400 problem naming its parameter. */
export function parseInspect(query: Record<string, unknown>, mode: GuardMode): InspectTarget {
  for (const key of Object.keys(query)) {
    if (!['url', 'method', 'body', 'header', 'redirects', 'run'].includes(key))
      throw new Problem(400, `Unknown parameter "${key}". Known parameters: url, method, body, header, redirects, run.`, key);
  }
  const rawUrl = one(query, 'url');
  if (rawUrl === undefined || rawUrl === '') throw new Problem(400, 'Parameter "url" is required: the http(s) URL of an event stream to inspect.', 'url');
  if (rawUrl.length > inspectLimits.urlMax)
    throw new Problem(400, `Parameter "url" is ${rawUrl.length} characters long; the limit is ${inspectLimits.urlMax}.`, 'url');
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new Problem(400, `Parameter "url" is not a URL: ${JSON.stringify(rawUrl.slice(0, 200))}. Give an absolute http:// or https:// URL.`, 'url');
  }
  checkUrl(url, mode);
  const method = (one(query, 'method') ?? 'GET').toUpperCase();
  if (!(inspectMethods as readonly string[]).includes(method))
    throw new Problem(400, `Parameter "method" must be one of ${inspectMethods.join(', ')}; got ${JSON.stringify(method)}.`, 'method');
  const body = one(query, 'body') ?? null;
  if (body !== null && Buffer.byteLength(body) > inspectLimits.bodyMax)
    throw new Problem(413, `Parameter "body" is ${Buffer.byteLength(body)} bytes; the limit is ${inspectLimits.bodyMax}.`, 'body');
  if (body !== null && (method === 'GET' || method === 'DELETE'))
    throw new Problem(400, `Parameter "body" needs a method that sends one (POST, PUT, PATCH), not ${method}.`, 'body');
  const rawHeaders = query.header === undefined ? [] : Array.isArray(query.header) ? (query.header as unknown[]) : [query.header];
  if (rawHeaders.length > inspectLimits.headersMax)
    throw new Problem(400, `At most ${inspectLimits.headersMax} "header" parameters; got ${rawHeaders.length}.`, 'header');
  const headers = rawHeaders.map((raw): [string, string] => {
    if (typeof raw !== 'string') throw new Problem(400, 'Parameter "header" must be text: "Name: value".', 'header');
    if (raw.length > inspectLimits.headerMax) throw new Problem(400, `A "header" is over ${inspectLimits.headerMax} characters.`, 'header');
    const colon = raw.indexOf(':');
    const name = colon < 0 ? raw.trim() : raw.slice(0, colon).trim();
    const value = colon < 0 ? '' : raw.slice(colon + 1).trim();
    // The name only, never the value: it may be a key.
    if (colon < 0 || !tokenPattern.test(name))
      throw new Problem(
        400,
        `Parameter "header" must be "Name: value" with a valid field name; got a header named ${JSON.stringify(name.slice(0, 60))}.`,
        'header',
      );
    if (/[\r\n\0]/.test(value)) throw new Problem(400, `The value of header "${name}" holds a line break or NUL.`, 'header');
    if (forbiddenHeaders.has(name.toLowerCase())) throw new Problem(400, `Header "${name}" is the connection's own: Streamscope writes it.`, 'header');
    return [name, value];
  });
  const redirects = one(query, 'redirects') ?? 'same-host';
  if (redirects !== 'same-host' && redirects !== 'any' && redirects !== 'none')
    throw new Problem(400, `Parameter "redirects" must be same-host (the default), any or none; got ${JSON.stringify(redirects)}.`, 'redirects');
  return { url, method: method as InspectTarget['method'], body, headers, redirects };
}

function one(query: Record<string, unknown>, key: string): string | undefined {
  const value = query[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new Problem(400, `Parameter "${key}" is given ${Array.isArray(value) ? value.length : 'several'} times; give it once.`, key);
  return value;
}

/** A URL Streamscope may open: its scheme, credentials and (for an address literal) its address. A 400 or 403 naming why. */
export function checkUrl(url: URL, mode: GuardMode): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Problem(400, `Parameter "url": only http: and https: URLs can be inspected; got ${url.protocol}.`, 'url');
  if (url.username || url.password)
    throw new Problem(400, 'Parameter "url" must not carry credentials (user:password@); send them as a "header" instead.', 'url');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const why = refusedAddress(host, mode);
    if (why) throw new Problem(403, `Parameter "url": ${why}`, 'url');
  }
}

const metadata = new BlockList();
// AWS, GCP, Azure, Oracle…; AWS's IPv6 one; Alibaba's.
metadata.addAddress('169.254.169.254', 'ipv4');
metadata.addAddress('fd00:ec2::254', 'ipv6');
metadata.addAddress('100.100.100.200', 'ipv4');
const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');

/**
 * Why Streamscope refuses to connect to this address, or null: a cloud metadata service (always:
 * it hands out the machine's credentials), or a link-local address in classroom mode.
 */
export function refusedAddress(address: string, mode: GuardMode): string | null {
  // An IPv4 address written as IPv6 (::ffff:169.254.169.254) is that IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const plain = mapped ?? address;
  const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
  if (isIP(plain) === 0) return null;
  if (metadata.check(plain, family))
    return `${address} is a cloud metadata address (it hands out the machine's credentials): Streamscope never connects to it.`;
  if (mode.classroom && linkLocal.check(plain, family))
    return `${address} is a link-local address (169.254.0.0/16, fe80::/10): in classroom mode Streamscope does not connect to it.`;
  return null;
}

/** Resolves names as the system does, then refuses the answer if any address is refused (so a name cannot smuggle one in). */
export function guardedLookup(mode: GuardMode): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      for (const { address } of list) {
        const why = refusedAddress(address, mode);
        if (why) return callback(new OutgoingError(403, `${hostname} resolves to ${why}`) as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** Whether a redirect may be followed under the policy: null if so, else why not. */
export function redirectRefusal(from: URL, to: URL, policy: RedirectPolicy): string | null {
  if (policy === 'none') return `The URL redirects to ${to.href}, and redirects=none follows none.`;
  if (policy === 'same-host' && to.origin !== from.origin) return `The URL redirects to another host (${to.origin}); add redirects=any to follow it.`;
  return null;
}
