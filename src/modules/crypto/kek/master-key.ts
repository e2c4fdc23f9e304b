/**
 * Master key material for the `local` KEK provider:
 * - a key file (32 raw bytes, or 64 hex / base64 characters of text);
 * - a passphrase stretched with PBKDF2-HMAC-SHA256 (RFC 8018, ≥ 600,000 iterations as OWASP
 *   recommends for SHA-256) under a random 256-bit salt kept beside the key ring in
 *   `<dataDir>/keyring.salt`;
 * - in development mode, `<dataDir>/master.key`, generated once with mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { cryptoError } from '../errors.js';
import { fromBase64Url, toBase64Url, zeroize } from '../primitives/bytes.js';
import { pbkdf2Sha256 } from '../primitives/kdf.js';
import { MASTER_KEY_BYTES } from './local.js';

export const MIN_PBKDF2_ITERATIONS = 600_000;
const SALT_BYTES = 32;

export function developmentMasterKeyPath(dataDir: string): string {
  return join(dataDir, 'master.key');
}

export function passphraseSaltPath(dataDir: string): string {
  return join(dataDir, 'keyring.salt');
}

/**
 * Creates `<dataDir>/master.key` (32 random bytes, mode 0600) unless it exists. Exclusive create,
 * so two processes starting at once cannot overwrite each other's key. Returns whether it was
 * created (the caller prints the loud development-key warning).
 */
export async function ensureDevelopmentMasterKey(dataDir: string): Promise<boolean> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(MASTER_KEY_BYTES);
  try {
    const file = await open(developmentMasterKeyPath(dataDir), 'wx', 0o600);
    try {
      await file.writeFile(key);
      await file.sync();
    } finally {
      await file.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    zeroize(key);
  }
}

/** Reads a master key file; the caller zeroes the returned buffer. */
export async function readMasterKeyFile(path: string): Promise<Buffer> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'the master key file cannot be read', error);
  }
  try {
    if (content.length === MASTER_KEY_BYTES) return Buffer.from(content);
    const text = content.toString('latin1').trim();
    if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
    const base64 = text.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const decoded = /^[A-Za-z0-9_-]{43}$/.test(base64) ? fromBase64Url(base64) : undefined;
    if (decoded?.length === MASTER_KEY_BYTES) return decoded;
    throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'the master key file must hold 32 bytes (raw, hex or base64)');
  } finally {
    zeroize(content);
  }
}

interface SaltFile {
  v: 1;
  kdf: 'PBKDF2-HMAC-SHA256';
  iterations: number;
  salt: string;
}

/** Loads the passphrase salt, creating it (exclusively, mode 0600) on first use. */
export async function loadOrCreatePassphraseSalt(dataDir: string, iterations = MIN_PBKDF2_ITERATIONS): Promise<{ salt: Buffer; iterations: number }> {
  const path = passphraseSaltPath(dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const fresh: SaltFile = { v: 1, kdf: 'PBKDF2-HMAC-SHA256', iterations, salt: toBase64Url(randomBytes(SALT_BYTES)) };
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(fresh)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let parsed: Partial<SaltFile>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<SaltFile>;
  } catch (error) {
    throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'keyring.salt is unreadable', error);
  }
  // A salt file edited down to fewer iterations would weaken the passphrase: refuse it.
  if (parsed.v !== 1 || parsed.kdf !== 'PBKDF2-HMAC-SHA256' || typeof parsed.salt !== 'string' ||
      !Number.isSafeInteger(parsed.iterations) || (parsed.iterations as number) < MIN_PBKDF2_ITERATIONS) {
    throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'keyring.salt is malformed or below 600,000 iterations');
  }
  const salt = fromBase64Url(parsed.salt);
  if (salt.length < 16) throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'keyring.salt is malformed');
  return { salt, iterations: parsed.iterations as number };
}

/** PBKDF2-HMAC-SHA256(passphrase, salt) → the 32-byte master key. The caller zeroes it. */
export async function deriveMasterKeyFromPassphrase(passphrase: string, dataDir: string): Promise<Buffer> {
  if (passphrase.length === 0) throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'the master passphrase is empty');
  const { salt, iterations } = await loadOrCreatePassphraseSalt(dataDir);
  return pbkdf2Sha256(passphrase.normalize('NFC'), salt, iterations, MASTER_KEY_BYTES);
}
