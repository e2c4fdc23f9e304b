/** RFC 4226 Appendix D and RFC 6238 Appendix B vectors, read in place from ../shared/vectors. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { base32Decode, base32Encode } from './base32.js';
import { hotp, matchTotp, totp, totpStep, type OtpAlgorithm } from './hotp.js';

interface OtpVectors {
  hotp: { secretAscii: string; secretBase32: string; algorithm: 'SHA1'; digits: number; codes: string[] };
  totp: {
    step: number; t0: number; digits: number;
    secretsAscii: Record<OtpAlgorithm, string>;
    cases: ({ time: number } & Record<OtpAlgorithm, string>)[];
  };
}

const vectors = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../../shared/vectors/otp_rfc4226_rfc6238.json', import.meta.url)), 'utf8')) as OtpVectors;
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'ascii'));

describe('HOTP (RFC 4226 Appendix D)', () => {
  it.each(vectors.hotp.codes.map((code, counter) => [counter, code] as const))('counter %i gives %s', (counter, code) => {
    expect(hotp(ascii(vectors.hotp.secretAscii), BigInt(counter), vectors.hotp.digits, 'SHA1')).toBe(code);
  });

  it('encodes the vector secret to the published base32 and back', () => {
    expect(base32Encode(ascii(vectors.hotp.secretAscii))).toBe(vectors.hotp.secretBase32);
    expect(Buffer.from(base32Decode(vectors.hotp.secretBase32)!).toString('ascii')).toBe(vectors.hotp.secretAscii);
  });

  it('rejects digits outside 6..8 and counters outside 64 bits', () => {
    expect(() => hotp(ascii('k'), 0n, 5)).toThrow(TypeError);
    expect(() => hotp(ascii('k'), 0n, 9)).toThrow(TypeError);
    expect(() => hotp(ascii('k'), -1n)).toThrow(TypeError);
    expect(() => hotp(ascii('k'), 2n ** 64n)).toThrow(TypeError);
  });
});

describe('TOTP (RFC 6238 Appendix B)', () => {
  const algorithms: OtpAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];
  const cases = vectors.totp.cases.flatMap((c) => algorithms.map((algorithm) => [c.time, algorithm, c[algorithm]] as const));

  it.each(cases)('T=%i with %s gives %s (8 digits) and its last 6 digits', (time, algorithm, code) => {
    const params = { digits: vectors.totp.digits, periodS: vectors.totp.step, algorithm, t0S: vectors.totp.t0 };
    const secret = ascii(vectors.totp.secretsAscii[algorithm]);
    expect(totp(secret, time * 1000, params)).toBe(code);
    expect(totp(secret, time * 1000, { ...params, digits: 6 })).toBe(code.slice(-6));
  });

  it('computes the step as floor((t - T0) / X)', () => {
    expect(totpStep(59_000, 30)).toBe(1n);
    expect(totpStep(60_000, 30)).toBe(2n);
    expect(totpStep(59_999, 30)).toBe(1n);
    expect(totpStep(1111111109_000, 30)).toBe(0x23523ECn);
  });
});

describe('matchTotp', () => {
  const secret = ascii(vectors.totp.secretsAscii.SHA1);
  const params = { digits: 6, periodS: 30, algorithm: 'SHA1' as const, window: 1 };
  const now = 1111111111_000;
  const step = totpStep(now, 30);
  const codeAt = (s: bigint) => hotp(secret, s, 6, 'SHA1');

  it('accepts the current step and one step either side, naming the step that matched', () => {
    expect(matchTotp(secret, codeAt(step), now, params)).toBe(step);
    expect(matchTotp(secret, codeAt(step - 1n), now, params)).toBe(step - 1n);
    expect(matchTotp(secret, codeAt(step + 1n), now, params)).toBe(step + 1n);
  });

  it('refuses codes two steps away, wrong codes and wrong lengths', () => {
    expect(matchTotp(secret, codeAt(step - 2n), now, params)).toBeNull();
    expect(matchTotp(secret, codeAt(step + 2n), now, params)).toBeNull();
    const wrong = String((Number(codeAt(step)) + 1) % 1_000_000).padStart(6, '0');
    expect(matchTotp(secret, wrong, now, params)).toBeNull();
    expect(matchTotp(secret, `${codeAt(step)}0`, now, params)).toBeNull();
    expect(matchTotp(secret, '', now, params)).toBeNull();
  });

  it('with window 0 accepts only the current step', () => {
    expect(matchTotp(secret, codeAt(step), now, { ...params, window: 0 })).toBe(step);
    expect(matchTotp(secret, codeAt(step - 1n), now, { ...params, window: 0 })).toBeNull();
  });
});

describe('base32', () => {
  it('round-trips every length from 0 to 40 bytes', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    }
  });

  it('matches RFC 4648 §10 test vectors (padding stripped)', () => {
    const table: [string, string][] = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']];
    for (const [plain, encoded] of table) {
      expect(base32Encode(ascii(plain))).toBe(encoded);
      expect(Buffer.from(base32Decode(`${encoded}${'='.repeat((8 - (encoded.length % 8)) % 8)}`)!).toString('ascii')).toBe(plain);
    }
  });

  it('accepts lower case and spaces, rejects foreign characters and non-zero tail bits', () => {
    expect(base32Decode('mzxw 6ytb oi')).toEqual(ascii('foobar'));
    expect(base32Decode('MZXW1')).toBeNull();
    expect(base32Decode('MZ')).toBeNull(); // 'Z' leaves non-zero bits after the single byte
    expect(base32Decode('M')).toBeNull();
  });
});
