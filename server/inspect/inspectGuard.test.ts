import { describe, expect, it } from 'vitest';
import { Problem } from '../problem.ts';
import { checkUrl, parseInspect, redirectRefusal, refusedAddress } from './inspectGuard.ts';

const loopback = { classroom: false };
const classroom = { classroom: true };

/** The problem a parse throws: its status, parameter and detail. */
function refusal(query: Record<string, unknown>, mode = loopback): { status: number; param?: string; detail: string } {
  try {
    parseInspect(query, mode);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    return { status: error.status, param: error.param, detail: error.detail };
  }
  throw new Error('not refused');
}

describe('parseInspect', () => {
  it('reads a URL, a method, a body, headers and the redirect policy', () => {
    const target = parseInspect(
      {
        url: 'https://api.example.com/v1/chat/completions',
        method: 'post',
        body: '{"stream":true}',
        header: ['Authorization: Bearer sk-x', 'X-Other:  two words '],
        run: 'r1',
      },
      loopback,
    );
    expect(target.url.href).toBe('https://api.example.com/v1/chat/completions');
    expect(target.method).toBe('POST');
    expect(target.body).toBe('{"stream":true}');
    expect(target.headers).toEqual([
      ['Authorization', 'Bearer sk-x'],
      ['X-Other', 'two words'],
    ]);
    expect(target.redirects).toBe('same-host');
  });

  it.each([
    [{}, 400, 'url', /required/],
    [{ url: 'ftp://example.com/x' }, 400, 'url', /only http: and https:/],
    [{ url: 'file:///etc/passwd' }, 400, 'url', /only http: and https:/],
    [{ url: 'javascript:alert(1)' }, 400, 'url', /only http: and https:/],
    [{ url: 'not a url' }, 400, 'url', /not a URL/],
    [{ url: `http://x/${'a'.repeat(3000)}` }, 400, 'url', /limit is 2048/],
    [{ url: 'http://user:pw@example.com/' }, 400, 'url', /credentials/],
    [{ url: 'http://example.com/', method: 'CONNECT' }, 400, 'method', /one of GET, POST/],
    [{ url: 'http://example.com/', body: 'x' }, 400, 'body', /needs a method/],
    [{ url: 'http://example.com/', method: 'POST', body: 'x'.repeat(70_000) }, 413, 'body', /limit/],
    [{ url: 'http://example.com/', header: 'no colon' }, 400, 'header', /Name: value/],
    [{ url: 'http://example.com/', header: 'Host: evil' }, 400, 'header', /connection's own/],
    [{ url: 'http://example.com/', header: 'X: a\r\nInjected: yes' }, 400, 'header', /line break/],
    [{ url: 'http://example.com/', header: Array.from({ length: 21 }, () => 'X: y') }, 400, 'header', /At most 20/],
    [{ url: 'http://example.com/', redirects: 'sometimes' }, 400, 'redirects', /same-host/],
    [{ url: 'http://example.com/', unknown: '1' }, 400, 'unknown', /Unknown parameter/],
    [{ url: ['http://a/', 'http://b/'] }, 400, 'url', /give it once/],
  ])('refuses %j: %i naming %s', (query, status, param, detail) => {
    const problem = refusal(query);
    expect(problem.status).toBe(status);
    expect(problem.param).toBe(param);
    expect(problem.detail).toMatch(detail);
  });

  it('never repeats a header value in its refusal (it may be a key)', () => {
    expect(refusal({ url: 'http://example.com/', header: 'Bad Name: sk-secret' }).detail).not.toContain('sk-secret');
  });
});

describe('addresses', () => {
  it.each(['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '100.100.100.200'])('refuses the metadata address %s in every mode', (address) => {
    expect(refusedAddress(address, loopback)).toMatch(/metadata/);
    expect(refusedAddress(address, classroom)).toMatch(/metadata/);
  });

  it.each(['169.254.1.1', '169.254.255.255', 'fe80::1', 'febf::1', '::ffff:169.254.3.4'])(
    'refuses the link-local address %s in classroom mode only',
    (address) => {
      expect(refusedAddress(address, classroom)).toMatch(/link-local/);
      expect(refusedAddress(address, loopback)).toBeNull();
    },
  );

  it.each(['127.0.0.1', '10.0.0.5', '192.168.1.20', '::1', 'fec0::1', '169.253.255.255', '169.255.0.0'])('lets %s through', (address) => {
    expect(refusedAddress(address, classroom)).toBeNull();
  });

  it('checks address literals in the URL at once, with a 403 naming why', () => {
    expect(() => checkUrl(new URL('http://169.254.169.254/latest/meta-data/'), loopback)).toThrow(/metadata/);
    expect(() => checkUrl(new URL('http://[fe80::1]/'), classroom)).toThrow(/link-local/);
    expect(() => checkUrl(new URL('http://[fd00:ec2::254]/'), loopback)).toThrow(/metadata/);
    try {
      checkUrl(new URL('http://169.254.10.10/'), classroom);
    } catch (error) {
      expect((error as Problem).status).toBe(403);
      expect((error as Problem).param).toBe('url');
    }
    expect(() => checkUrl(new URL('http://169.254.10.10/'), loopback)).not.toThrow();
  });
});

describe('redirects', () => {
  const from = new URL('http://127.0.0.1:8080/a');
  it('follows the same host by default, another only when asked, none with none', () => {
    expect(redirectRefusal(from, new URL('http://127.0.0.1:8080/b'), 'same-host')).toBeNull();
    expect(redirectRefusal(from, new URL('http://127.0.0.1:9090/b'), 'same-host')).toMatch(/another host.*redirects=any/);
    expect(redirectRefusal(from, new URL('https://127.0.0.1:8080/b'), 'same-host')).toMatch(/another host/);
    expect(redirectRefusal(from, new URL('http://example.com/b'), 'any')).toBeNull();
    expect(redirectRefusal(from, new URL('http://127.0.0.1:8080/b'), 'none')).toMatch(/redirects=none/);
  });
});
