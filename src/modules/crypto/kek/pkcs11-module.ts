/**
 * PKCS#11 (OASIS PKCS #11 v2.40) plumbing over pkcs11js: one loaded library per path shared by
 * every provider in the process (C_Initialize may run only once per process and library), slot
 * lookup by token label, and a logged-in read/write session.
 */
import pkcs11js from 'pkcs11js';

import { cryptoError } from '../errors.js';

const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
const CKR_USER_ALREADY_LOGGED_IN = 0x100;

interface LoadedLibrary {
  module: pkcs11js.PKCS11;
  refs: number;
}

/** Process-wide: the library state lives in the native module, not in any one provider. */
const libraries = new Map<string, LoadedLibrary>();

export interface Pkcs11Session {
  readonly module: pkcs11js.PKCS11;
  readonly session: pkcs11js.Handle;
  readonly slot: pkcs11js.Handle;
  close(): void;
}

function pkcs11Code(error: unknown): number | undefined {
  return error instanceof pkcs11js.Pkcs11Error ? error.code : undefined;
}

function acquire(lib: string): pkcs11js.PKCS11 {
  const loaded = libraries.get(lib);
  if (loaded) {
    loaded.refs += 1;
    return loaded.module;
  }
  const module = new pkcs11js.PKCS11();
  try {
    module.load(lib);
    module.C_Initialize();
  } catch (error) {
    if (pkcs11Code(error) !== CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'the PKCS#11 library cannot be loaded', error);
    }
  }
  libraries.set(lib, { module, refs: 1 });
  return module;
}

function release(lib: string): void {
  const loaded = libraries.get(lib);
  if (!loaded) return;
  loaded.refs -= 1;
  if (loaded.refs > 0) return;
  libraries.delete(lib);
  try {
    loaded.module.C_Finalize();
  } catch {
    // Finalising a library whose token vanished can fail; nothing is left to release.
  }
}

/** Opens a logged-in R/W session on the token labelled `tokenLabel`. */
export function openPkcs11Session(lib: string, tokenLabel: string, pin: string): Pkcs11Session {
  const module = acquire(lib);
  let session: pkcs11js.Handle | undefined;
  try {
    // Token labels are 32 bytes, blank padded (PKCS#11 §3.2 CK_TOKEN_INFO).
    const slot = module.C_GetSlotList(true).find((s) => module.C_GetTokenInfo(s).label.trimEnd() === tokenLabel);
    if (!slot) throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'no PKCS#11 token with the configured label');
    session = module.C_OpenSession(slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
    try {
      module.C_Login(session, pkcs11js.CKU_USER, pin);
    } catch (error) {
      // Login state is per application and token: a second provider finds it logged in.
      if (pkcs11Code(error) !== CKR_USER_ALREADY_LOGGED_IN) {
        throw cryptoError('CRYPTO_KEK_UNAVAILABLE', 'the PKCS#11 token rejected the login', error);
      }
    }
    const opened = session;
    let closed = false;
    return {
      module,
      session: opened,
      slot,
      close() {
        if (closed) return;
        closed = true;
        try {
          module.C_CloseSession(opened);
        } finally {
          release(lib);
        }
      },
    };
  } catch (error) {
    if (session) module.C_CloseSession(session);
    release(lib);
    throw error;
  }
}

/** Whether the token supports `mechanism` with all of `flags` (e.g. CKF_WRAP | CKF_UNWRAP). */
export function supportsMechanism(s: Pkcs11Session, mechanism: number, flags: number): boolean {
  if (!s.module.C_GetMechanismList(s.slot).includes(mechanism)) return false;
  return (s.module.C_GetMechanismInfo(s.slot, mechanism).flags & flags) === flags;
}
