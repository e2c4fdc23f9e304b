/**
 * When a key version must be rotated (pure functions, no I/O).
 *
 * Random 96-bit GCM nonces stay within NIST SP 800-38D §8.3's 2^-32 collision bound for up to
 * 2^32 encryptions per key. The defaults stay far below: rotate after 2^28 encryptions, and
 * refuse to encrypt past 2^30 (collision probability ≈ q²/2^97 = 2^-37 at the hard limit).
 */
import type { KeyVersionRecord } from './types.js';

export interface RotationPolicy {
  /** Rotate the primary once it is older than this. Default 90 days. */
  readonly maxAgeMs: number;
  /** Rotate the primary once this many encryptions were reserved. Default 2^28. */
  readonly rotateAfterEncryptions: number;
  /** Hard limit: no encryption under a version past this count. Default 2^30; at most 2^32. */
  readonly maxEncryptions: number;
}

export const DEFAULT_ROTATION_POLICY: RotationPolicy = Object.freeze({
  maxAgeMs: 90 * 24 * 60 * 60 * 1000,
  rotateAfterEncryptions: 2 ** 28,
  maxEncryptions: 2 ** 30,
});

export function resolvePolicy(partial: Partial<RotationPolicy> = {}): RotationPolicy {
  const policy = { ...DEFAULT_ROTATION_POLICY, ...partial };
  if (!(policy.maxEncryptions > 0 && policy.maxEncryptions <= 2 ** 32)) throw new RangeError('maxEncryptions must be in (0, 2^32]');
  if (!(policy.rotateAfterEncryptions > 0 && policy.rotateAfterEncryptions <= policy.maxEncryptions)) {
    throw new RangeError('rotateAfterEncryptions must be in (0, maxEncryptions]');
  }
  if (!(policy.maxAgeMs > 0)) throw new RangeError('maxAgeMs must be positive');
  return Object.freeze(policy);
}

export type RotationReason = 'age' | 'usage';

/** Why the (primary) version `v` is due for rotation at `now`, or undefined if it is not. */
export function rotationDue(v: Pick<KeyVersionRecord, 'createdAt' | 'usageCount'>, policy: RotationPolicy, now: number): RotationReason | undefined {
  if (v.usageCount >= policy.rotateAfterEncryptions) return 'usage';
  if (now - v.createdAt >= policy.maxAgeMs) return 'age';
  return undefined;
}
