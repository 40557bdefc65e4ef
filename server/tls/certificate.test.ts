import { afterEach, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultTlsDir, tlsCredentials } from './certificate.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'streamscope-cert-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the HTTPS certificate', () => {
  it('is made on first start: a local authority and a server certificate for localhost, 127.0.0.1 and ::1', async () => {
    const dir = await tempDir();
    const made = await tlsCredentials({ dir }, {});
    expect(made.source).toBe('generated');
    expect(made.caFile).toBe(path.join(dir, 'ca.pem'));
    const cert = new X509Certificate(made.cert);
    const ca = new X509Certificate(await readFile(made.caFile!, 'utf8'));
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(made.fingerprint).toBe(cert.fingerprint256);
    expect(made.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    // Keys readable by their owner only.
    expect((await stat(path.join(dir, 'key.pem'))).mode & 0o077).toBe(0);
    expect((await stat(path.join(dir, 'ca-key.pem'))).mode & 0o077).toBe(0);
  });

  it('is reused on a later start, and made again (same authority) when the names change', async () => {
    const dir = await tempDir();
    const first = await tlsCredentials({ dir }, {});
    const again = await tlsCredentials({ dir }, {});
    expect(again).toMatchObject({ source: 'reused', fingerprint: first.fingerprint, cert: first.cert });
    const classroom = await tlsCredentials({ dir, extraNames: ['192.168.1.20'] }, {});
    expect(classroom.source).toBe('generated');
    expect(classroom.names).toContain('192.168.1.20');
    expect(new X509Certificate(classroom.cert).verify(new X509Certificate(await readFile(first.caFile!, 'utf8')).publicKey)).toBe(true);
  });

  it('is made again when the stored one is damaged', async () => {
    const dir = await tempDir();
    await tlsCredentials({ dir }, {});
    await writeFile(path.join(dir, 'cert.pem'), 'not a certificate');
    expect((await tlsCredentials({ dir }, {})).source).toBe('generated');
  });

  it('lives in a per-user folder outside the repository, or STREAMSCOPE_TLS_DIR', () => {
    expect(defaultTlsDir({ HOME: '/home/ada' })).toMatch(/streamscope\/tls$/);
    expect(defaultTlsDir({ XDG_CONFIG_HOME: '/x/config' })).toBe('/x/config/streamscope/tls');
    expect(defaultTlsDir({ STREAMSCOPE_TLS_DIR: '/x/tls', XDG_CONFIG_HOME: '/x/config' })).toBe('/x/tls');
  });

  it('is your own with STREAMSCOPE_TLS_CERT and STREAMSCOPE_TLS_KEY, and bad files are a clear error', async () => {
    const made = await tlsCredentials({ dir: await tempDir() }, {});
    const dir = await tempDir();
    const cert = path.join(dir, 'mine.pem');
    const key = path.join(dir, 'mine-key.pem');
    await writeFile(cert, made.cert);
    await writeFile(key, made.key);
    const own = await tlsCredentials({}, { STREAMSCOPE_TLS_CERT: cert, STREAMSCOPE_TLS_KEY: key });
    expect(own).toMatchObject({ source: 'own', caFile: null, fingerprint: made.fingerprint });

    await expect(tlsCredentials({}, { STREAMSCOPE_TLS_CERT: cert })).rejects.toThrow(/both STREAMSCOPE_TLS_CERT and STREAMSCOPE_TLS_KEY/);
    await expect(tlsCredentials({}, { STREAMSCOPE_TLS_CERT: path.join(dir, 'missing.pem'), STREAMSCOPE_TLS_KEY: key })).rejects.toThrow(
      /Cannot read the TLS certificate .*missing\.pem/,
    );
    await expect(tlsCredentials({}, { STREAMSCOPE_TLS_CERT: key, STREAMSCOPE_TLS_KEY: key })).rejects.toThrow(/is not a PEM certificate/);
    await expect(tlsCredentials({}, { STREAMSCOPE_TLS_CERT: cert, STREAMSCOPE_TLS_KEY: cert })).rejects.toThrow(/is not a PEM private key/);
    const other = await tlsCredentials({ dir: await tempDir() }, {});
    const otherKey = path.join(dir, 'other-key.pem');
    await writeFile(otherKey, other.key);
    await expect(tlsCredentials({}, { STREAMSCOPE_TLS_CERT: cert, STREAMSCOPE_TLS_KEY: otherKey })).rejects.toThrow(/is not the key of the certificate/);
  });
});
