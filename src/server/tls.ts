/**
 * Development TLS material: a self-signed ECDSA P-256 certificate for localhost/127.0.0.1/::1,
 * generated with @peculiar/x509 over WebCrypto (no shell-out to openssl) on first start.
 * Production supplies Q2_TLS_CERT/Q2_TLS_KEY instead.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** True when this call generated the certificate. */
  generated: boolean;
}

const VALIDITY_DAYS = 90;

export async function ensureDevelopmentCertificate(dataDir: string, now = new Date()): Promise<TlsMaterial> {
  const dir = path.join(dataDir, 'tls');
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    // Regenerate an expired development certificate rather than serving it.
    if (new x509.X509Certificate(cert).notAfter > now) return { cert, key, generated: false };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: 'CN=localhost, O=Q2 development',
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + VALIDITY_DAYS * 86_400_000),
    signingAlgorithm: algorithm,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    ],
  });
  const cert = certificate.toString('pem');
  const key = KeyObject.from(keys.privateKey)
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  await writeFile(keyPath, key, { mode: 0o600 });
  await writeFile(certPath, cert, { mode: 0o644 });
  return { cert, key, generated: true };
}

export async function loadTlsFiles(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  return { cert, key, generated: false };
}
