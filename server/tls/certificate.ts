/**
 * The HTTPS listener's certificate: your own (`STREAMSCOPE_TLS_CERT` and `STREAMSCOPE_TLS_KEY`,
 * for example made by mkcert), or one made here on first start: a local certificate authority
 * and a server certificate it signs for `localhost`, `127.0.0.1`, `::1` and any more names asked
 * for (the LAN addresses in classroom mode). They are kept in a per-user folder outside the
 * repository and reused on later starts; the server certificate is made again when the names
 * change or it is about to expire, and the authority is kept, so a browser that trusts it keeps
 * trusting. Made with @peculiar/x509 (X.509 on WebCrypto).
 */
import { webcrypto, X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
// @peculiar/x509 needs the Reflect metadata API (it says so itself when missing).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export interface TlsCredentials {
  /** PEM: the server certificate (then any chain). */
  cert: string;
  /** PEM: its private key. */
  key: string;
  /** SHA-256 fingerprint of the server certificate, `AB:CD:…` (what a browser shows). */
  fingerprint: string;
  /** The authority file to trust (made here), or `null` for your own certificate. */
  caFile: string | null;
  /** Where it came from: made now, reused from `dir`, or your own files. */
  source: 'generated' | 'reused' | 'own';
  /** The names the server certificate holds (DNS names and IP addresses). */
  names: string[];
}

export interface CertificateOptions {
  /** Names beyond `localhost`, `127.0.0.1` and `::1` (host names or IP addresses). @default [] */
  extraNames?: readonly string[];
  /** The folder for a made certificate. @default STREAMSCOPE_TLS_DIR, else $XDG_CONFIG_HOME/streamscope/tls, else ~/.config/streamscope/tls */
  dir?: string;
  /** Your own files (PEM). @default STREAMSCOPE_TLS_CERT / STREAMSCOPE_TLS_KEY */
  certFile?: string;
  keyFile?: string;
}

export const defaultNames = ['localhost', '127.0.0.1', '::1'] as const;

/** A made server certificate is renewed when it has less than this left. */
const renewBeforeMs = 7 * 24 * 3600_000;
const dayMs = 24 * 3600_000;

export function defaultTlsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STREAMSCOPE_TLS_DIR) return path.resolve(env.STREAMSCOPE_TLS_DIR);
  const config = env.XDG_CONFIG_HOME || path.join(homedir(), '.config');
  return path.join(config, 'streamscope', 'tls');
}

/** The certificate to serve: your own files if set, else the made one (making it if needed). */
export async function tlsCredentials(options: CertificateOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<TlsCredentials> {
  const certFile = options.certFile ?? env.STREAMSCOPE_TLS_CERT;
  const keyFile = options.keyFile ?? env.STREAMSCOPE_TLS_KEY;
  if (certFile || keyFile) {
    if (!certFile || !keyFile) throw new Error('Set both STREAMSCOPE_TLS_CERT and STREAMSCOPE_TLS_KEY (PEM files), or neither.');
    return ownCredentials(certFile, keyFile);
  }
  return madeCredentials(options.dir ?? defaultTlsDir(env), [...defaultNames, ...(options.extraNames ?? [])]);
}

async function ownCredentials(certFile: string, keyFile: string): Promise<TlsCredentials> {
  const read = async (file: string, what: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read the TLS ${what} ${file}: ${(error as Error).message}`);
    }
  };
  const [cert, key] = await Promise.all([read(certFile, 'certificate (STREAMSCOPE_TLS_CERT)'), read(keyFile, 'key (STREAMSCOPE_TLS_KEY)')]);
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(cert);
  } catch {
    throw new Error(`STREAMSCOPE_TLS_CERT ${certFile} is not a PEM certificate.`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error(`STREAMSCOPE_TLS_KEY ${keyFile} is not a PEM private key (an encrypted key is not supported).`);
  }
  if (!parsed.checkPrivateKey(privateKey)) throw new Error(`STREAMSCOPE_TLS_KEY ${keyFile} is not the key of the certificate ${certFile}.`);
  createSecureContext({ cert, key });
  return { cert, key, fingerprint: parsed.fingerprint256, caFile: null, source: 'own', names: namesOf(parsed) };
}

async function madeCredentials(dir: string, wanted: string[]): Promise<TlsCredentials> {
  const names = [...new Set(wanted)];
  const files = { ca: path.join(dir, 'ca.pem'), caKey: path.join(dir, 'ca-key.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
  const existing = await Promise.all(Object.values(files).map((file) => readFile(file, 'utf8').catch(() => null)));
  const [caPem, caKeyPem, certPem, keyPem] = existing;
  const soon = Date.now() + renewBeforeMs;

  let ca = caPem && caKeyPem ? usableAuthority(caPem, caKeyPem, soon) : null;
  if (ca && certPem && keyPem) {
    const leaf = usableLeaf(certPem, keyPem, ca.cert, names, soon);
    if (leaf) return { cert: certPem, key: keyPem, fingerprint: leaf.fingerprint256, caFile: files.ca, source: 'reused', names: namesOf(leaf) };
  }

  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!ca) {
    const made = await makeAuthority();
    await writeFile(files.caKey, made.keyPem, { mode: 0o600 });
    await writeFile(files.ca, made.certPem);
    ca = { cert: new X509Certificate(made.certPem), certPem: made.certPem, keyPem: made.keyPem };
  }
  const leaf = await makeLeaf(ca.certPem, ca.keyPem, names);
  await writeFile(files.key, leaf.keyPem, { mode: 0o600 });
  await chmod(files.key, 0o600);
  await writeFile(files.cert, leaf.certPem);
  const parsed = new X509Certificate(leaf.certPem);
  return { cert: leaf.certPem, key: leaf.keyPem, fingerprint: parsed.fingerprint256, caFile: files.ca, source: 'generated', names: namesOf(parsed) };
}

function usableAuthority(certPem: string, keyPem: string, until: number): { cert: X509Certificate; certPem: string; keyPem: string } | null {
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.ca || Date.parse(cert.validTo) < until || !cert.checkPrivateKey(createPrivateKey(keyPem))) return null;
    return { cert, certPem, keyPem };
  } catch {
    return null;
  }
}

function usableLeaf(certPem: string, keyPem: string, ca: X509Certificate, names: string[], until: number): X509Certificate | null {
  try {
    const cert = new X509Certificate(certPem);
    if (Date.parse(cert.validTo) < until || !cert.verify(ca.publicKey) || !cert.checkPrivateKey(createPrivateKey(keyPem))) return null;
    const held = namesOf(cert);
    const same = held.length === names.length && names.every((n) => held.includes(canonical(n)));
    return same ? cert : null;
  } catch {
    return null;
  }
}

/** DNS names and IP addresses in a certificate's subjectAltName, IPs in Node's canonical form. */
export function namesOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((entry) => canonical(entry.replace(/^(DNS|IP Address):/, '')));
}

function canonical(name: string): string {
  // Node prints IPv6 SANs in full (0:0:0:0:0:0:0:1); compare in that form.
  if (isIP(name) !== 6) return name.toLowerCase();
  const [head, tail = ''] = name.split('::');
  const left = head ? head.split(':') : [];
  const right = name.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = name.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.map((g) => Number.parseInt(g, 16).toString(16).toUpperCase()).join(':');
}

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const crypto = webcrypto as unknown as Crypto;

async function keyPair(): Promise<{ keys: CryptoKeyPair; keyPem: string }> {
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keys, keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

async function makeAuthority(): Promise<{ certPem: string; keyPem: string }> {
  const { keys, keyPem } = await keyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: `CN=Streamscope local CA (${process.env.USER ?? 'this user'}), O=Streamscope`,
      notBefore: new Date(now - dayMs),
      notAfter: new Date(now + 10 * 365 * dayMs),
      keys,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem'), keyPem };
}

async function makeLeaf(caCertPem: string, caKeyPem: string, names: string[]): Promise<{ certPem: string; keyPem: string }> {
  const caCert = new x509.X509Certificate(caCertPem);
  const caKey = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(caKeyPem), algorithm, false, ['sign']);
  const { keys, keyPem } = await keyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: 'CN=localhost, O=Streamscope',
      issuer: caCert.subject,
      // Browsers refuse server certificates valid for more than 398 days.
      notBefore: new Date(now - dayMs),
      notAfter: new Date(now + 397 * dayMs),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }))),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem'), keyPem };
}
