/**
 * RFC 4648 §6 base32 (alphabet A–Z2–7), the encoding of TOTP secrets in otpauth:// URIs and
 * authenticator apps. Encoding omits padding (Key URI format); decoding accepts lower case,
 * optional padding and spaces, and rejects anything else rather than guessing.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1; // keep only the unread bits so the shift never overflows
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes base32; returns null for characters outside the alphabet or a non-canonical tail. */
export function base32Decode(text: string): Uint8Array | null {
  const clean = text.replace(/[\s]/g, '').replace(/=+$/, '').toUpperCase();
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) return null;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  // Leftover bits must be zero padding (at most 4 bits), or the text was not produced by an encoder.
  if (bits >= 5 || buffer !== 0) return null;
  return Uint8Array.from(out);
}
