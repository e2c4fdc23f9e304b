/** CIDR membership via node:net BlockList (handles IPv4, IPv6 and IPv4-mapped IPv6). */
import { BlockList, isIP } from 'node:net';

export interface CidrSet {
  has(ip: string): boolean;
}

export function createCidrSet(cidrs: readonly string[]): CidrSet {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', prefix] = cidr.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return {
    has(ip: string) {
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
      const address = mapped?.[1] ?? ip;
      const family = isIP(address);
      if (family === 0) return false;
      return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
    },
  };
}
