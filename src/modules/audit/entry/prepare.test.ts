/**
 * What enters the log: personal data pseudonymised (keyed, stable, normalised), everything
 * bounded and canonical (RFC 8785), odd values made JSON-safe rather than rejected.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { canonicalJson } from './canonical.js';
import { personalKindOfKey, personalKindOfValue } from './personal.js';
import { canonicalDetails, LIMITS, prepareEntry } from './prepare.js';
import { createPseudonymiser, isPseudonym } from './pseudonym.js';
import type { JsonValue } from './types.js';

const ps = createPseudonymiser(randomBytes(32));
const base = { action: 'auth.login', actor: 'user:1', outcome: 'success' as const };

describe('pseudonyms', () => {
  it('are keyed: another key gives another pseudonym for the same value', () => {
    const other = createPseudonymiser(randomBytes(32));
    expect(ps('email', 'a@example.com')).not.toBe(other('email', 'a@example.com'));
    expect(ps('email', 'a@example.com')).toMatch(/^ps:email:[A-Za-z0-9_-]{22}$/);
  });

  it('are stable across spellings of one value and distinct across kinds', () => {
    expect(ps('email', ' A@Example.COM ')).toBe(ps('email', 'a@example.com'));
    expect(ps('ip', '::ffff:192.0.2.1')).toBe(ps('ip', '192.0.2.1'));
    expect(ps('ip', '2001:DB8:0:0::1')).toBe(ps('ip', '2001:db8::1'));
    expect(ps('phone', '+1 (555) 010-0200')).toBe(ps('phone', '+15550100200'));
    expect(ps('name', 'x')).not.toBe(ps('document', 'x'));
  });

  it('are never hashed twice', () => {
    const once = ps('email', 'a@example.com');
    expect(isPseudonym(once)).toBe(true);
    expect(ps('email', once)).toBe(once);
  });

  it('refuse a short key', () => {
    expect(() => createPseudonymiser(randomBytes(16))).toThrow(TypeError);
  });
});

describe('personal data classification', () => {
  it.each([
    ['email', 'email'], ['newEmail', 'email'], ['recipient_email', 'email'], ['clientIp', 'ip'], ['source_ip', 'ip'],
    ['remoteAddr', 'ip'], ['phoneNumber', 'phone'], ['first_name', 'name'], ['lastName', 'name'], ['username', 'name'],
    ['walletAddress', 'address'], ['zip', 'address'], ['dateOfBirth', 'birthdate'], ['iban', 'document'], ['userAgent', 'device'],
  ])('member %s is %s', (key, kind) => {
    expect(personalKindOfKey(key)).toBe(kind);
  });

  it.each(['relationship', 'tooltip', 'gmail', 'symbol', 'keyName', 'ruleName', 'quantity', 'reason'])('member %s is not personal', (key) => {
    expect(personalKindOfKey(key)).toBeNull();
  });

  it('recognises emails and IPs by value, phones only where asked', () => {
    expect(personalKindOfValue('x.y+z@example.co.uk', { phone: false })).toBe('email');
    expect(personalKindOfValue('203.0.113.7', { phone: false })).toBe('ip');
    expect(personalKindOfValue('[2001:db8::1]', { phone: false })).toBe('ip');
    expect(personalKindOfValue('+44 20 7946 0958', { phone: true })).toBe('phone');
    expect(personalKindOfValue('+44 20 7946 0958', { phone: false })).toBeNull();
    for (const v of ['user:42', 'apikey:7', '0.015', 'BTC-USD', '1.2.3', 'order-1234567', '3f2c9e4e-8d0b-4a34-9d58-1c4b9f9a2e10']) {
      expect(personalKindOfValue(v, { phone: true })).toBeNull();
    }
  });
});

describe('prepareEntry', () => {
  it('pseudonymises ip always, and actor/target when they are personal', () => {
    const e = prepareEntry({ ...base, actor: 'eve@example.com', target: '+1 555 010 0200', ip: '198.51.100.7' }, 1, ps);
    expect(e.actor).toBe(ps('email', 'eve@example.com'));
    expect(e.target).toBe(ps('phone', '+1 555 010 0200'));
    expect(e.ip).toBe(ps('ip', '198.51.100.7'));
    const opaque = prepareEntry({ ...base, actor: 'apikey:9f2', target: 'order:77' }, 1, ps);
    expect([opaque.actor, opaque.target, opaque.ip]).toEqual(['apikey:9f2', 'order:77', null]);
  });

  it('pseudonymises personal details at any depth, including everything under a personal member', () => {
    const e = prepareEntry({ ...base, details: { user: { email: 'eve@example.com', address: { street: '1 Main St', city: 'Springfield' } }, note: 'mail bob@example.org', ips: ['192.0.2.1', '192.0.2.2'] } }, 1, ps);
    const d = JSON.parse(e.details) as { user: { email: string; address: { street: string; city: string } }; note: string; ips: string[] };
    expect(d.user.email).toBe(ps('email', 'eve@example.com'));
    expect(d.user.address.street).toMatch(/^ps:address:/);
    expect(d.user.address.city).toMatch(/^ps:address:/);
    expect(d.ips.every((ip) => ip.startsWith('ps:ip:'))).toBe(true);
    expect(d.note).toBe('mail bob@example.org'); // free text is not scanned for substrings (documented)
  });

  it('writes details as canonical JSON: sorted members, no whitespace, JSON-safe values', () => {
    const d = canonicalDetails({ b: 1, a: [true, null, undefined, 2n], c: { z: Number.NaN, y: new Date(0) }, f: () => 1, ['\u20ac']: 'x', ['__proto__']: { polluted: 1 } }, ps);
    expect(d).toBe('{"__proto__":{"polluted":1},"a":[true,null,null,"2"],"b":1,"c":{"y":"1970-01-01T00:00:00.000Z","z":null},"€":"x"}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('bounds strings, nesting, members, items and total size visibly', () => {
    const long = prepareEntry({ ...base, actor: 'u'.repeat(1000), details: { s: 'x'.repeat(5000) } }, 1, ps);
    expect(long.actor).toHaveLength(LIMITS.actor);
    expect(long.actor.endsWith('…')).toBe(true);
    expect((JSON.parse(long.details) as { s: string }).s).toHaveLength(LIMITS.string);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) deep = { deep };
    expect(prepareEntry({ ...base, details: deep }, 1, ps).details).toContain('nested too deep');
    const wide = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${String(i).padStart(3, '0')}`, i]));
    expect(Object.keys(JSON.parse(prepareEntry({ ...base, details: wide }, 1, ps).details) as object)).toHaveLength(LIMITS.members + 1);
    const huge = Object.fromEntries(Array.from({ length: 90 }, (_, i) => [`k${i}`, 'y'.repeat(2000)]));
    expect(JSON.parse(prepareEntry({ ...base, details: huge }, 1, ps).details)).toMatchObject({ _truncated: true });
  });

  it('replaces lone surrogates so every entry is valid Unicode', () => {
    const e = prepareEntry({ ...base, actor: 'user:\uD800x', details: { s: 'a\uDC00' } }, 1, ps);
    expect(e.actor).toBe('user:\uFFFDx');
    expect(e.details).toBe('{"s":"a\uFFFD"}');
  });

  it('throws a TypeError for programmer errors (missing action, bad outcome, bad time)', () => {
    expect(() => prepareEntry({ ...base, action: '' }, 1, ps)).toThrow(TypeError);
    expect(() => prepareEntry({ ...base, outcome: 'maybe' as 'info' }, 1, ps)).toThrow(TypeError);
    expect(() => prepareEntry({ ...base, time: 1.5 }, 1, ps)).toThrow(TypeError);
  });

  it('produces details that parse back to the same canonical text (property)', () => {
    const json: fc.Arbitrary<JsonValue> = fc.jsonValue() as fc.Arbitrary<JsonValue>;
    fc.assert(fc.property(fc.dictionary(fc.string(), json), (details) => {
      const text = canonicalDetails(details, ps);
      expect(canonicalJson(JSON.parse(text) as JsonValue)).toBe(text);
    }), { numRuns: 300 });
  });
});
