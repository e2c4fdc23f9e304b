/**
 * `pkcs11` KEK provider: each KEK version is a non-extractable AES-256 key generated inside the
 * token (CKA_SENSITIVE, ¬CKA_EXTRACTABLE, wrap/unwrap only: it cannot encrypt arbitrary data),
 * found by label `<prefix>-v<n>`; a new version is a new key under a new label. DEKs are wrapped
 * with CKM_AES_KEY_WRAP_PAD (RFC 5649): the DEK becomes a short-lived session object, is wrapped,
 * and the object is destroyed; unwrap creates a session object and reads its value once.
 *
 * SoftHSM2 zero-pads key values to a multiple of 8 bytes before KWP; DEKs are 32 bytes, so its
 * blobs are byte-identical to RFC 5649 (and to the local provider's).
 */
import pkcs11js from 'pkcs11js';

import { cryptoError } from '../errors.js';
import { zeroize } from '../primitives/bytes.js';
import type { WrappedDek } from '../keys/types.js';
import { openPkcs11Session, supportsMechanism, type Pkcs11Session } from './pkcs11-module.js';
import type { KekProvider, KekRef } from './types.js';

export interface Pkcs11KekOptions {
  lib: string;
  tokenLabel: string;
  pin: string;
  /** KEK labels are `<labelPrefix>-v<n>`; default `q2-kek`. */
  labelPrefix?: string;
  /** Generate `<prefix>-v1` if the token holds no KEK yet; default true. */
  createIfMissing?: boolean;
}

const DEK_TEMPLATE_BASE = [
  { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
  { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
  { type: pkcs11js.CKA_TOKEN, value: false },
  { type: pkcs11js.CKA_SENSITIVE, value: false },
  { type: pkcs11js.CKA_EXTRACTABLE, value: true },
];

export async function createPkcs11KekProvider(options: Pkcs11KekOptions): Promise<KekProvider> {
  const prefix = options.labelPrefix ?? 'q2-kek';
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(prefix)) throw new TypeError('KEK label prefix must be 1-32 of [A-Za-z0-9._-]');
  /** Version of a KEK label `<prefix>-v<n>`, or undefined for any other label. */
  const labelVersion = (label: string): number | undefined => {
    const rest = label.startsWith(`${prefix}-v`) ? label.slice(prefix.length + 2) : '';
    return /^[1-9][0-9]{0,8}$/.test(rest) ? Number(rest) : undefined;
  };
  const s: Pkcs11Session = openPkcs11Session(options.lib, options.tokenLabel, options.pin);
  const { module, session } = s;
  const mechanism = { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD };
  if (!supportsMechanism(s, pkcs11js.CKM_AES_KEY_WRAP_PAD, pkcs11js.CKF_WRAP | pkcs11js.CKF_UNWRAP)) {
    s.close();
    throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'the PKCS#11 token does not support CKM_AES_KEY_WRAP_PAD');
  }

  /** label → version for every KEK on the token; re-read on each wrap (another replica may rotate). */
  function listKeks(): Map<string, number> {
    const handles = findAll([
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    ]);
    const found = new Map<string, number>();
    for (const handle of handles) {
      const [attribute] = module.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_LABEL }]);
      const label = attribute?.value?.toString('utf8') ?? '';
      const version = labelVersion(label);
      if (version !== undefined) found.set(label, version);
    }
    return found;
  }

  function findAll(template: pkcs11js.Template): pkcs11js.Handle[] {
    module.C_FindObjectsInit(session, template);
    try {
      const handles: pkcs11js.Handle[] = [];
      for (let batch = module.C_FindObjects(session, 256); batch.length > 0; batch = module.C_FindObjects(session, 256)) {
        handles.push(...batch);
      }
      return handles;
    } finally {
      module.C_FindObjectsFinal(session);
    }
  }

  /**
   * Every key under `label`. Normally one; two operators rotating at the same instant could
   * each create `<prefix>-v<n>`, so unwrap tries them all rather than trusting the first.
   */
  function findKeks(label: string): pkcs11js.Handle[] {
    return findAll([
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
  }

  function generateKek(version: number): KekRef {
    const label = `${prefix}-v${version}`;
    module.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_WRAP, value: true },
      { type: pkcs11js.CKA_UNWRAP, value: true },
      { type: pkcs11js.CKA_ENCRYPT, value: false },
      { type: pkcs11js.CKA_DECRYPT, value: false },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ID, value: Buffer.from(label, 'utf8') },
    ]);
    return { label, version };
  }

  function newest(): KekRef | undefined {
    let best: KekRef | undefined;
    for (const [label, version] of listKeks()) if (!best || version > best.version) best = { label, version };
    return best;
  }

  let current: KekRef;
  try {
    const existing = newest();
    if (!existing && options.createIfMissing === false) throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'no KEK on the PKCS#11 token');
    current = existing ?? generateKek(1);
  } catch (error) {
    s.close();
    throw error;
  }
  let closed = false;
  const live = () => {
    if (closed) throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'the KEK provider is closed');
  };

  return {
    kind: 'pkcs11',
    current: () => current,
    holds: (wrapped) => wrapped.provider === 'pkcs11' && labelVersion(wrapped.kekLabel) !== undefined,
    async wrap(dek): Promise<WrappedDek> {
      live();
      current = newest() ?? current;
      const [kek] = findKeks(current.label);
      if (!kek) throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'the current KEK vanished from the token');
      const value = Buffer.from(dek);
      let object: pkcs11js.Handle;
      try {
        object = module.C_CreateObject(session, [...DEK_TEMPLATE_BASE, { type: pkcs11js.CKA_VALUE, value }]);
      } finally {
        zeroize(value);
      }
      try {
        const blob = module.C_WrapKey(session, mechanism, kek, object, Buffer.alloc(dek.byteLength + 16));
        return { alg: 'A256KWP', provider: 'pkcs11', kekLabel: current.label, kekVersion: current.version, blob: Buffer.from(blob) };
      } finally {
        module.C_DestroyObject(session, object);
      }
    },
    async unwrap(wrapped) {
      live();
      const keks = wrapped.provider === 'pkcs11' && labelVersion(wrapped.kekLabel) !== undefined ? findKeks(wrapped.kekLabel) : [];
      if (keks.length === 0 || wrapped.alg !== 'A256KWP') {
        throw cryptoError('CRYPTO_KEY_UNKNOWN', 'the data key is wrapped under a KEK this token does not hold');
      }
      let object: pkcs11js.Handle | undefined;
      let failure: unknown;
      for (const kek of keks) {
        try {
          object = module.C_UnwrapKey(session, mechanism, kek, wrapped.blob, DEK_TEMPLATE_BASE);
          break;
        } catch (error) {
          failure = error;
        }
      }
      if (!object) throw cryptoError('CRYPTO_DECRYPT_FAILED', undefined, failure);
      try {
        const [value] = module.C_GetAttributeValue(session, object, [{ type: pkcs11js.CKA_VALUE }]);
        if (!value?.value) throw cryptoError('CRYPTO_DECRYPT_FAILED');
        return value.value;
      } finally {
        module.C_DestroyObject(session, object);
      }
    },
    async rotate() {
      live();
      const latest = newest() ?? current;
      current = generateKek(latest.version + 1);
      return current;
    },
    async close() {
      if (closed) return;
      closed = true;
      s.close();
    },
  };
}
