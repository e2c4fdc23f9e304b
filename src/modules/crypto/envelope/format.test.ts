import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { associatedData } from './aad.js';
import { encodeBinary, encodeText, parseBinary, parseText, parseTextHeader, textPrefix } from './format.js';

const keyId = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
const version = fc.integer({ min: 1, max: 0xffffffff });
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

describe('envelope format 1', () => {
  it('round-trips text and binary envelopes', () => {
    fc.assert(
      fc.property(keyId, version, bytes(12, 12), bytes(0, 64), bytes(16, 16), (id, v, nonce, ct, tag) => {
        const header = { keyId: id, version: v };
        const text = encodeText(header, nonce, ct, tag);
        expect(text.startsWith(textPrefix(header))).toBe(true);
        const fromText = parseText(text);
        const fromBinary = parseBinary(encodeBinary(header, nonce, ct, tag));
        for (const parsed of [fromText, fromBinary]) {
          expect(parsed.keyId).toBe(id);
          expect(parsed.version).toBe(v);
          expect(Buffer.from(parsed.nonce)).toEqual(Buffer.from(nonce));
          expect(Buffer.from(parsed.ciphertext)).toEqual(Buffer.from(ct));
          expect(Buffer.from(parsed.tag)).toEqual(Buffer.from(tag));
        }
      }),
    );
  });

  it.each([
    ['wrong scheme', 'q3:v1:pii:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['leading zero version', 'q2:v01:pii:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['version zero', 'q2:v0:pii:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['version above 2^32-1', 'q2:v4294967296:pii:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['uppercase key id', 'q2:v1:PII:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['padding', 'q2:v1:pii:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=='],
    ['standard base64 alphabet', 'q2:v1:pii:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+'],
    ['non-canonical trailing bits', 'q2:v1:pii:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB'],
    ['too short for nonce and tag', 'q2:v1:pii:AAAA'],
    ['extra field', 'q2:v1:pii:x:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('rejects %s with CRYPTO_FORMAT_INVALID', (_name, text) => {
    expect(() => parseText(text)).toThrow(expect.objectContaining({ code: 'CRYPTO_FORMAT_INVALID' }));
  });

  it('rejects malformed binary headers', () => {
    const good = encodeBinary({ keyId: 'pii', version: 3 }, Buffer.alloc(12), Buffer.alloc(4), Buffer.alloc(16));
    for (const mutate of [
      (b: Buffer) => (b[0] = 0x52),
      (b: Buffer) => (b[2] = 0x02),
      (b: Buffer) => b.writeUInt32BE(0, 3),
      (b: Buffer) => (b[7] = 200),
      (b: Buffer) => (b[8] = 0x41),
    ]) {
      const bad = Buffer.from(good);
      mutate(bad);
      expect(() => parseBinary(bad)).toThrow(expect.objectContaining({ code: 'CRYPTO_FORMAT_INVALID' }));
    }
  });

  it('reads a header without decoding the body', () => {
    expect(parseTextHeader('q2:v7:user.42:whatever')).toEqual({ keyId: 'user.42', version: 7 });
  });
});

describe('associated data', () => {
  it('is injective over header, context and caller AAD', () => {
    const h = { keyId: 'pii', version: 1 };
    const variants = [
      associatedData(h, { table: 'users', column: 'email', row: '1' }),
      associatedData(h, { table: 'users', column: 'email', row: '2' }),
      associatedData(h, { table: 'users', column: 'phone', row: '1' }),
      associatedData(h, { table: 'userse', column: 'mail', row: '1' }),
      associatedData({ keyId: 'pii', version: 2 }, { table: 'users', column: 'email', row: '1' }),
      associatedData({ keyId: 'pij', version: 1 }, { table: 'users', column: 'email', row: '1' }),
      associatedData(h, { table: 'users', column: 'email', row: '1' }, Buffer.from('x')),
      associatedData(h, { table: 'users', column: 'email', row: '1', extra: '' }),
    ];
    expect(new Set(variants.map((v) => v.toString('hex'))).size).toBe(variants.length);
  });

  it('does not depend on context key order', () => {
    const h = { keyId: 'pii', version: 1 };
    expect(associatedData(h, { a: '1', b: '2' })).toEqual(associatedData(h, { b: '2', a: '1' }));
  });
});
