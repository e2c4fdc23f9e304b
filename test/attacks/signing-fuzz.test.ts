/**
 * Threat: malformed or hostile signature headers crashing or confusing the verifier (parser
 * bugs, 5xx, a request slipping through). Random and structure-aware `Signature-Input`,
 * `Signature` and `Content-Digest` values, alone and spliced into a valid signature, must always
 * be refused with a SPEC §4 401 code and never reach the handler.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { SigningKey } from '../../src/modules/signing/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { createEd25519Key, scopedTestRoutes, sendWire, signWire, steppedUpUser, testAddress, type Reached } from '../support/apikeys.js';

const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
const reached: Reached[] = [];
let platform: TestPlatform;
let key: { keyId: string; key: SigningKey };

beforeAll(async () => {
  platform = await startTestPlatform({}, { clock, routes: [scopedTestRoutes(reached)] });
  const user = await steppedUpUser(platform.app, clock);
  key = await createEd25519Key(platform.app, user.token, { label: 'fuzz', scopes: ['trade'] });
});
afterAll(async () => {
  await platform.stop();
});

const SPEC_401 = ['SIGNATURE_MISSING', 'SIGNATURE_INVALID', 'SIGNATURE_EXPIRED'];
// Each request comes from its own address: refusals raise the sender's risk score, and the
// network layer would soon rate-limit one address (that is its job, not what is tested here).
/** Printable header text (Node refuses control characters before we would see them). */
const text = (max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });
/** Fragments of RFC 8941 / RFC 9421 syntax, so the parser gets past its first character. */
const fragment = fc.constantFrom('sig1=', '(', ')', '"@method"', '"@path"', '"content-digest"', ';created=', ';keyid=', ';nonce=', ';alg=', '"ed25519"', ':', '=', ',', ' ', '1764850000', '-1', '"', '\\', 'AAAA', '*', '?1', '%"x"', '@1');
const structured = fc.array(fc.oneof(fragment, text(12)), { maxLength: 30 }).map((parts) => parts.join(''));

describe('fuzzed signature headers', () => {
  it('refuses random Signature-Input / Signature / Content-Digest values with a SPEC 401, never a 5xx', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(structured, text(300)), fc.oneof(structured, text(200)), fc.option(fc.oneof(structured, text(120))), async (input, signature, digest) => {
      const wire = signWire({ method: 'POST', target: '/v1/test/trade', body: { clientOrderId: 'f' }, keyId: key.keyId, key: key.key, nowMs: clock.now(), remoteAddress: testAddress() });
      wire.headers['signature-input'] = input;
      wire.headers.signature = signature;
      if (digest !== null) wire.headers['content-digest'] = digest;
      const res = await sendWire(platform.app, wire);
      expect(res.statusCode, res.body).toBe(401);
      expect(SPEC_401).toContain(res.json().code);
    }), { numRuns: 300 });
    expect(reached).toHaveLength(0);
  });

  it('refuses a valid signature whose Signature-Input has one randomly changed character', async () => {
    await fc.assert(fc.asyncProperty(fc.nat(), fc.integer({ min: 0x21, max: 0x7e }), async (at, code) => {
      const wire = signWire({ method: 'POST', target: '/v1/test/trade', body: { clientOrderId: 'g' }, keyId: key.keyId, key: key.key, nowMs: clock.now(), remoteAddress: testAddress() });
      const input = wire.headers['signature-input']!;
      const i = at % input.length;
      fc.pre(input.charCodeAt(i) !== code);
      wire.headers['signature-input'] = `${input.slice(0, i)}${String.fromCharCode(code)}${input.slice(i + 1)}`;
      const res = await sendWire(platform.app, wire);
      expect(res.statusCode, res.body).toBe(401);
      expect(SPEC_401).toContain(res.json().code);
    }), { numRuns: 300 });
    expect(reached).toHaveLength(0);
  });
});
