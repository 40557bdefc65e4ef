import { describe, expect, it, vi } from 'vitest';
import { findSecureOrigin, httpsOrigin, secureOriginProblem, type SecureOriginDeps } from './secureOrigin.ts';

const page = (url: string): SecureOriginDeps['location'] => {
  const u = new URL(url);
  return { protocol: u.protocol, hostname: u.hostname, origin: u.origin, pathname: u.pathname, search: u.search };
};

const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('findSecureOrigin', () => {
  it('reports the same host on the HTTPS port when the CORS probe succeeds', async () => {
    const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => json({ port: 3443 }));
    const found = await findSecureOrigin({ location: page('http://localhost:3000/lessons/15-x?step=2'), fetch });
    expect(found).toEqual({ state: 'ok', origin: 'https://localhost:3443' });
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch).toHaveBeenLastCalledWith('https://localhost:3443/api/https', expect.objectContaining({ mode: 'cors', credentials: 'omit' }));
  });

  it('reports an untrusted certificate (a TypeError) with the HTTPS page to open once', async () => {
    const fetch = vi.fn(async (input: RequestInfo | URL) => {
      if (String(input) === '/api/https') return json({ port: 3443 });
      throw new TypeError('Failed to fetch');
    });
    const found = await findSecureOrigin({ location: page('http://192.168.1.20:3000/lessons/15-x?step=2'), fetch });
    expect(found).toEqual({ state: 'untrusted', origin: 'https://192.168.1.20:3443', pageUrl: 'https://192.168.1.20:3443/lessons/15-x?step=2' });
    expect(secureOriginProblem(found)).toMatch(/not trusted.*Open the HTTPS page once/);
  });

  it('is off when the server serves no HTTPS, or cannot say', async () => {
    const off = await findSecureOrigin({ location: page('http://localhost:3000/'), fetch: async () => json({ port: null }) });
    expect(off.state).toBe('off');
    expect(secureOriginProblem(off)).toMatch(/HTTPS_PORT=off/);
    expect((await findSecureOrigin({ location: page('http://localhost:3000/'), fetch: async () => json({}, 404) })).state).toBe('off');
    expect((await findSecureOrigin({ location: page('http://localhost:3000/'), fetch: async () => Promise.reject(new TypeError('down')) })).state).toBe('off');
  });

  it('is the page’s own origin when the page is on HTTPS already, with no request', async () => {
    const fetch = vi.fn();
    expect(await findSecureOrigin({ location: page('https://localhost:3443/'), fetch })).toEqual({ state: 'ok', origin: 'https://localhost:3443' });
    expect(fetch).not.toHaveBeenCalled();
    expect(secureOriginProblem({ state: 'ok', origin: 'https://localhost:3443' })).toBeUndefined();
  });

  it('brackets IPv6 hosts', () => {
    expect(httpsOrigin('::1', 3443)).toBe('https://[::1]:3443');
    expect(httpsOrigin('[::1]', 3443)).toBe('https://[::1]:3443');
  });
});
