/**
 * A registered price source (SPEC §6): an Ed25519 public key (SubjectPublicKeyInfo PEM) and the
 * symbols it may publish. The key is parsed once, when the registry loads it, so verification
 * never re-parses PEM on the hot path.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

export type SourceStatus = 'active' | 'revoked';

export interface PriceSource {
  sourceId: string;
  publicKeyPem: string;
  publicKey: KeyObject;
  symbols: ReadonlySet<string>;
  status: SourceStatus;
  createdBy: string;
  /** Unix ms. */
  createdAt: number;
  revokedAt: number | null;
}

const PEM = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]{40,200}-----END PUBLIC KEY-----\r?\n?$/;

/**
 * Parses an Ed25519 SubjectPublicKeyInfo PEM; null for anything else (other PEM labels, other
 * key types, private keys, trailing garbage). The strict PEM shape is checked before OpenSSL sees
 * the text, so only one well-formed block is ever parsed.
 */
export function parseSourcePublicKey(pem: string): KeyObject | null {
  if (!PEM.test(pem)) return null;
  try {
    const key = createPublicKey({ key: pem, format: 'pem' });
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}

/** SHA-256 of the DER SubjectPublicKeyInfo, hex: lets operators compare keys without the PEM. */
export function keyFingerprint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('hex');
}
