import { describe, expect, it } from 'vitest';
import { BlockList } from 'node:net';
import { clientIpCidr, clientIpKey, createCidrSet, formatIp, isIpAllowed, parseCidr, parseIp } from './ip.js';

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

describe('createCidrSet (trusted proxies, /metrics allowlist)', () => {
  const set = createCidrSet(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1/128', '172.16.5.9/12']);

  it('matches addresses inside any block, IPv4-mapped IPv6 as its IPv4 address', () => {
    for (const ip of ['10.1.2.3', '::ffff:10.200.0.1', '192.0.2.7', '2001:db8:ffff::1', '::1', '172.31.255.255']) expect(set.has(ip), ip).toBe(true);
  });

  it('refuses everything else, including garbage and neighbours of single hosts', () => {
    for (const ip of ['11.0.0.1', '192.0.2.8', '2001:db9::1', '::2', '172.32.0.1', 'not-an-ip', '', '10.0.0.1%eth0']) expect(set.has(ip), ip).toBe(false);
    expect(createCidrSet([]).has('127.0.0.1')).toBe(false);
  });

  it('rejects a malformed block instead of matching nothing or everything', () => {
    for (const bad of ['10.0.0.0/33', '::/129', 'example.com', '10.0.0.0/', '10.0.0.0/8/1', '10.0.0.0/-1']) expect(() => createCidrSet([bad]), bad).toThrow(TypeError);
  });

  it('agrees with node:net BlockList (the previous implementation) on a sweep of addresses', () => {
    const cidrs = ['127.0.0.0/8', '198.51.100.0/24', '203.0.113.128/25', '::1/128', 'fd00::/8'];
    const ours = createCidrSet(cidrs);
    const reference = new BlockList();
    for (const cidr of cidrs) {
      const [address = '', prefix] = cidr.split('/');
      reference.addSubnet(address, Number(prefix), address.includes(':') ? 'ipv6' : 'ipv4');
    }
    const samples = ['127.0.0.1', '127.255.255.255', '128.0.0.1', '198.51.100.0', '198.51.101.0', '203.0.113.127', '203.0.113.128', '203.0.113.255', '::1', '::2', 'fd12::1', 'fe80::1'];
    for (const ip of samples) expect(ours.has(ip), ip).toBe(reference.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4'));
  });
});
