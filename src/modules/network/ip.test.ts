import { describe, expect, it } from 'vitest';
import { clientIpCidr, clientIpKey, formatIp, isIpAllowed, parseCidr, parseIp } from './ip.js';

describe('parseIp', () => {
  it.each([
    ['192.0.2.1', 4, '192.0.2.1'],
    ['::ffff:192.0.2.1', 4, '192.0.2.1'],
    ['2001:DB8::1', 6, '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 6, '2001:db8::1'],
    ['::', 6, '::'],
    ['::1', 6, '::1'],
    ['1::', 6, '1::'],
    ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1'],
    ['64:ff9b::192.0.2.33', 6, '64:ff9b::c000:221'],
  ])('parses %s as IPv%i %s (RFC 5952 form)', (text, family, canonical) => {
    const ip = parseIp(text);
    expect(ip?.family).toBe(family);
    expect(formatIp(ip!.family, ip!.bytes)).toBe(canonical);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-1', 'fe80::1%eth0', '2001:db8:::1', 'x', ' 1.2.3.4', '1.2.3.4 '])(
    'refuses %j', (text) => {
      expect(parseIp(text)).toBeNull();
    });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['192.0.2.7', '192.0.2.7/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::ffff:10.0.0.0/8', '10.0.0.0/8'],
    ['2001:db8::1', '2001:db8::1/128'],
  ])('canonicalises %s to %s', (text, canonical) => {
    expect(parseCidr(text)?.text).toBe(canonical);
  });

  it.each(['10.1.2.3/8', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/08', 'a/8', '2001:db8::1/64'])(
    'refuses %j (host bits, range, syntax)', (text) => {
      expect(parseCidr(text)).toBeNull();
    });
});

describe('isIpAllowed', () => {
  it('allows everything with an empty list', () => {
    expect(isIpAllowed('203.0.113.9', [])).toBe(true);
  });

  it('allows only addresses inside the list, across families and mapped IPv4', () => {
    const list = ['198.51.100.0/24', '2001:db8:1::/48'];
    expect(isIpAllowed('198.51.100.200', list)).toBe(true);
    expect(isIpAllowed('::ffff:198.51.100.7', list)).toBe(true);
    expect(isIpAllowed('2001:db8:1:ffff::1', list)).toBe(true);
    expect(isIpAllowed('198.51.101.1', list)).toBe(false);
    expect(isIpAllowed('2001:db8:2::1', list)).toBe(false);
  });

  it('fails closed on a garbage address or entry', () => {
    expect(isIpAllowed('not-an-ip', ['0.0.0.0/0'])).toBe(false);
    expect(isIpAllowed('198.51.100.1', ['garbage'])).toBe(false);
  });
});

describe('client keys', () => {
  it('counts an IPv4 client by its address and an IPv6 client by its /64', () => {
    expect(clientIpKey('192.0.2.1')).toBe('ip:192.0.2.1');
    expect(clientIpKey('::ffff:192.0.2.1')).toBe('ip:192.0.2.1');
    expect(clientIpKey('2001:db8:aa:bb:1:2:3:4')).toBe('ip:2001:db8:aa:bb::/64');
    expect(clientIpKey('2001:db8:aa:bb:ffff::9')).toBe(clientIpKey('2001:db8:aa:bb::1'));
    expect(clientIpKey('2001:db8:aa:bc::1')).not.toBe(clientIpKey('2001:db8:aa:bb::1'));
    expect(clientIpCidr('2001:db8:aa:bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
    expect(clientIpCidr('192.0.2.1')).toBe('192.0.2.1/32');
  });
});
