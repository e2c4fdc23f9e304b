/**
 * Associated data for envelope format 1. The AEAD authenticates, besides the caller's optional
 * AAD, the envelope header (key id, version) and the caller's context, e.g. the row a field
 * lives in ({ table, column, row }). A ciphertext copied to another row, column, key or version
 * therefore fails authentication.
 *
 * Encoding: UTF-8 of  "q2/aead/v1" ‖ for each of keyId, version, n, then n sorted (name, value)
 * pairs: "<UTF-16 length>:<string>"  ‖ "<aad byte length>:" ‖ aad bytes.
 * Invariant: injective. Every string is length prefixed, so "a","bc" ≠ "ab","c"; context keys
 * are sorted, so key order does not matter; UTF-8 is self-synchronising, so a UTF-16 length
 * delimits its string unambiguously. (Lone surrogates encode as U+FFFD and are the one
 * exception; contexts are identifiers, never such strings.) One string and one UTF-8 encode per
 * call keeps this off the hot path's profile.
 */
import type { EnvelopeHeader } from './format.js';

/** Where a ciphertext belongs. Field encryption passes { table, column, row }. */
export type EncryptionContext = Readonly<Record<string, string>>;

/** Context keys in code-unit order; an insertion sort, as contexts have a handful of keys. */
function sortedKeys(context: EncryptionContext): string[] {
  const keys = Object.keys(context);
  for (let i = 1; i < keys.length; i += 1) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j -= 1;
    }
    keys[j + 1] = key;
  }
  return keys;
}

export function associatedData(header: EnvelopeHeader, context: EncryptionContext, aad?: Uint8Array): Buffer {
  const keys = sortedKeys(context);
  const version = String(header.version);
  let text = `q2/aead/v1${header.keyId.length}:${header.keyId}${version.length}:${version}${keys.length}:`;
  for (const key of keys) {
    const value = context[key];
    if (typeof value !== 'string') throw new TypeError(`context value "${key}" must be a string`);
    text += `${key.length}:${key}${value.length}:${value}`;
  }
  text += `${aad?.byteLength ?? 0}:`;
  if (aad === undefined || aad.byteLength === 0) return Buffer.from(text, 'utf8');
  const head = Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(head + aad.byteLength);
  out.write(text, 0, 'utf8');
  out.set(aad, head);
  return out;
}
