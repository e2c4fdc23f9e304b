/**
 * Coded failures of the crypto module. Every expected failure is an `AppError` with a CRYPTO_*
 * code (registry: src/lib/errors/codes.ts, documented in docs/errors.md). Details are fixed
 * strings: they never say which byte or check failed (no decryption oracle through messages).
 */
import { AppError, type ErrorCode } from '../../lib/errors/index.js';

export type CryptoErrorCode = Extract<ErrorCode, `CRYPTO_${string}`>;

export function cryptoError(code: CryptoErrorCode, detail?: string, cause?: unknown): AppError {
  return new AppError(code, detail, cause === undefined ? {} : { cause });
}

/** True when `error` is an AppError carrying one of the crypto codes. */
export function isCryptoError(error: unknown): error is AppError & { code: CryptoErrorCode } {
  return error instanceof AppError && error.code.startsWith('CRYPTO_');
}
