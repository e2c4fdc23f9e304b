/**
 * Associated data for envelope format 1. The AEAD authenticates, besides the caller's optional
 * AAD, the envelope header (key id, version) and the caller's context, e.g. the row a field
 * lives in ({ table, column, row }). Invariant: the encoding is injective (every part length
 * prefixed, context keys sorted), so no two different (header, context, aad) triples share AAD,
 * and a ciphertext copied to another row, column, key or version fails authentication.
 */
import type { EnvelopeHeader } from './format.js';

/** Where a ciphertext belongs. Field encryption passes { table, column, row }. */
export type EncryptionContext = Readonly<Record<string, string>>;

const DOMAIN = Buffer.from('q2/aead/v1', 'ascii');

export function associatedData(header: EnvelopeHeader, context: EncryptionContext, aad?: Uint8Array): Buffer {
  const keys = Object.keys(context).sort();
  let total = 4 + DOMAIN.length + 4 + header.keyId.length + 4 + 4 + 4 + 4 + (aad?.byteLength ?? 0);
  for (const key of keys) total += 8 + Buffer.byteLength(key, 'utf8') + Buffer.byteLength(context[key] as string, 'utf8');
  const out = Buffer.allocUnsafe(total);
  let offset = out.writeUInt32BE(DOMAIN.length, 0);
  offset += DOMAIN.copy(out, offset);
  offset = writeString(out, offset, header.keyId);
  offset = out.writeUInt32BE(4, offset);
  offset = out.writeUInt32BE(header.version, offset);
  offset = out.writeUInt32BE(keys.length, offset);
  for (const key of keys) {
    offset = writeString(out, offset, key);
    offset = writeString(out, offset, context[key] as string);
  }
  offset = out.writeUInt32BE(aad?.byteLength ?? 0, offset);
  if (aad !== undefined) out.set(aad, offset);
  return out;
}

function writeString(out: Buffer, offset: number, value: string): number {
  const length = out.write(value, offset + 4, 'utf8');
  out.writeUInt32BE(length, offset);
  return offset + 4 + length;
}
