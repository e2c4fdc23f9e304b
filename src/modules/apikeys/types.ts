/** API keys (SPEC §4): what a key is, what creating one takes, and the context of an action. */
import type { ApiKeyScope } from '../../lib/auth/index.js';
import type { SignatureAlgorithm } from '../signing/index.js';

export type { ApiKeyScope };
export type ApiKeyAlgorithm = SignatureAlgorithm;

/** A key as its owner sees it: never any secret material. */
export interface ApiKey {
  keyId: string;
  userId: string;
  label: string;
  algorithm: ApiKeyAlgorithm;
  scopes: readonly ApiKeyScope[];
  /** Canonical CIDRs; empty = any address. */
  ipAllowlist: readonly string[];
  /** Unix ms. */
  createdAt: number;
  /** Unix ms; null = no expiry. */
  expiresAt: number | null;
}

export interface NewApiKey {
  label: string;
  scopes: readonly ApiKeyScope[];
  ipAllowlist: readonly string[];
  /** Unix ms; must be in the future. */
  expiresAt?: number | null;
  algorithm: ApiKeyAlgorithm;
  /** SubjectPublicKeyInfo PEM, required for (and only for) `ed25519`. */
  publicKey?: string;
}

/** The creation answer: an `hmac-sha256` key's secret (base64) appears here and nowhere else, once. */
export interface CreatedApiKey extends ApiKey {
  secret?: string;
}

/** Where an action came from, for its security event. */
export interface ActionContext {
  ip: string | null;
  requestId: string | null;
}
