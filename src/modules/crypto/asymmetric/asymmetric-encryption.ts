/**
 * AsymmetricEncryption: the module's public-key surface in one place. Classical algorithms run
 * on node:crypto (OpenSSL), post-quantum ones on @noble/post-quantum.
 *
 * | need                         | use                                            |
 * |------------------------------|------------------------------------------------|
 * | encrypt to a public key      | rsaOaepEncrypt / rsaOaepDecrypt (RSA-OAEP-256) |
 * | sign                         | sign / verify: RSA-PSS, ECDSA P-256, Ed25519   |
 * | post-quantum sign            | mlDsa65                                        |
 * | agree a session key          | agreeSessionKey (ECDH P-256 / X25519 + HKDF)   |
 * | quantum-resistant session    | hybridKem (X25519 + ML-KEM-768, X-Wing)        |
 */
import { agreeSessionKey, ecdhSharedSecret, generateEcdhKeyPair } from './key-agreement.js';
import { exportKey, importPrivateKey, importPublicKey, keyAlgorithm } from './key-formats.js';
import { hybridKem } from './hybrid-kem.js';
import { mlDsa65, mlKem768 } from './post-quantum.js';
import { generateRsaKeyPair, rsaOaepDecrypt, rsaOaepEncrypt } from './rsa-oaep.js';
import { generateSigningKeyPair, sign, verify } from './signatures.js';

export const AsymmetricEncryption = Object.freeze({
  generateRsaKeyPair,
  rsaOaepEncrypt,
  rsaOaepDecrypt,
  generateSigningKeyPair,
  sign,
  verify,
  generateEcdhKeyPair,
  ecdhSharedSecret,
  agreeSessionKey,
  hybridKem,
  mlKem768,
  mlDsa65,
  importPublicKey,
  importPrivateKey,
  exportKey,
  keyAlgorithm,
});
