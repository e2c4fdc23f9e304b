/**
 * Q2 crypto module (docs/crypto.md): AES-256-GCM field encryption, versioned envelope keys with
 * rotation and rewrap, KEK providers (local master key / PKCS#11 HSM), encrypted database
 * columns with blind indexes, and public-key crypto including post-quantum. Other modules
 * import only from here.
 */
export { isCryptoError, type CryptoErrorCode } from './errors.js';

// Symmetric envelopes
export {
  createSymmetricEncryption,
  type SealOptions,
  type SymmetricEncryption,
  type SymmetricEncryptionOptions,
} from './envelope/symmetric-encryption.js';
export type { EncryptionContext } from './envelope/aad.js';
export { isValidKeyId, textPrefix, type EnvelopeHeader } from './envelope/format.js';

// Key manager and key ring storage
export { createKeyManager, type DataKey, type KeyManager, type KeyManagerOptions } from './keys/key-manager.js';
export type { KeyStatus, KeyVersionStatus } from './keys/key-admin.js';
export { DEFAULT_ROTATION_POLICY, rotationDue, type RotationPolicy, type RotationReason } from './keys/rotation-policy.js';
export { createMemoryKeyRingStore } from './keys/memory-store.js';
export { createKyselyKeyRingStore } from './keys/kysely-store.js';
export type { KeyRecord, KeyRingStore, KeyState, KeyVersionRecord, NewKeyVersion, WrappedDek } from './keys/types.js';

// KEK providers
export { createKekProvider, createKekProviders, type KekProviders } from './kek/factory.js';
export { createLocalKekProvider } from './kek/local.js';
export {
  deriveMasterKeyFromPassphrase,
  developmentMasterKeyPath,
  ensureDevelopmentMasterKey,
  MIN_PBKDF2_ITERATIONS,
  passphraseSaltPath,
  readMasterKeyFile,
} from './kek/master-key.js';
export { createPkcs11KekProvider, type Pkcs11KekOptions } from './kek/pkcs11.js';
export type { KekProvider, KekRef } from './kek/types.js';

// Encrypted database fields
export { createBlindIndex, normalizeEmail, type BlindIndex, type BlindIndexOptions } from './fields/blind-index.js';
export {
  defineEncryptedColumns,
  type EncryptedColumnSpec,
  type EncryptedTable,
  type EncryptedTableSpec,
  type FieldType,
} from './fields/encrypted-columns.js';
export { createFieldCipher, type FieldCipher, type FieldCipherOptions } from './fields/field-cipher.js';
export {
  rewrapFields,
  type RewrapFieldsOptions,
  type RewrapProgress,
  type RewrapReport,
  type RewrapTarget,
  type RewrapUpdate,
} from './rewrap/rewrap-fields.js';
export { createKyselyRewrapTarget } from './rewrap/kysely-target.js';

// Public-key cryptography
export { AsymmetricEncryption } from './asymmetric/asymmetric-encryption.js';
export type { AgreementInput, EcdhCurve } from './asymmetric/key-agreement.js';
export type { ExportFormat, KeyInput } from './asymmetric/key-formats.js';
export type { PqKeyPair } from './asymmetric/post-quantum.js';
export type { SessionKey } from './asymmetric/session-key.js';
export type { SignatureAlgorithm, SignatureOptions } from './asymmetric/signatures.js';

// Standard KDF/MAC building blocks
export { hkdfSha256, hmacSha256, pbkdf2Sha256, verifyHmacSha256 } from './primitives/kdf.js';
