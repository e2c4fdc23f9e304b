/**
 * The narrow port through which capabilities protect personal and secret fields at rest. The
 * crypto module (envelope encryption under the key ring, SPEC §8) implements it; capabilities
 * depend on this interface only, so they never handle keys.
 */
export interface FieldContext {
  /** Table, column and row id are authenticated data: a ciphertext moved elsewhere won't decrypt. */
  table: string;
  column: string;
  rowId: string;
  /**
   * Key ring key to encrypt under. Personal data uses the owner's key (`user.<id>`), so erasing
   * the user destroys that key and every such field with it (crypto-shredding, SPEC §8).
   * Default: the platform's field key.
   */
  keyId?: string;
}

export interface FieldProtector {
  /** Encrypts a field value; the result is a self-describing string (`q2:v<version>:…`). */
  encrypt(plaintext: string, context: FieldContext): Promise<string>;
  /** Decrypts; throws an AppError with a crypto code on any tampering or wrong context. */
  decrypt(ciphertext: string, context: FieldContext): Promise<string>;
  /**
   * Keyed blind index (HMAC) for equality lookups, e.g. email. `purpose` separates indexes so
   * equal values in different columns do not correlate. Deterministic for a given key version.
   */
  blindIndex(value: string, purpose: string): Promise<string>;
  /** Index values under every still-valid key version, for `WHERE index IN (…)` after rotation. */
  blindIndexCandidates(value: string, purpose: string): Promise<string[]>;
}
