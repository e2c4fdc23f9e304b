/**
 * IPv4/IPv6 addresses and CIDR blocks (RFC 4632, RFC 4291 §2.3, RFC 5952 text form) as the
 * network layer needs them: validation of admin input, canonical text (so one block has one
 * spelling), prefix masking for longest-prefix rule matching, and the client key of an address.
 *
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is treated as the IPv4 address it carries: a dual-stack
 * socket reports IPv4 peers that way, and a rule on `a.b.c.d/32` must match them.
 *
 * This is the one CIDR implementation of the server: the IP rules, the trading allowlists,
 * the trusted proxies of the connection guard and the /metrics allowlist all use it.
 */
import { isIP } from 'node:net';

export interface ParsedIp {
  family: 4 | 6;
  /** 4 or 16 network-order bytes. */
  bytes: Uint8Array;
}

export interface Cidr {
  family: 4 | 6;
  /** Network address with host bits cleared. */
  bytes: Uint8Array;
  prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
  text: string;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

function parseV4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return bytes;
}

function parseV6(text: string): Uint8Array | null {
  if (text.includes('%') || isIP(text) !== 6) return null;
  let head = text;
  let tail4: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail4 = parseV4(text.slice(lastColon + 1));
    if (tail4 === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  const left = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const right = halves.length === 2 && halves[1] !== '' ? (halves[1] as string).split(':') : [];
  const missing = 8 - left.length - right.length;
  const groups = halves.length === 2 ? [...left, ...Array<string>(missing).fill('0'), ...right] : left;
  if (groups.length !== 8) return null;
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const n = parseInt(group, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  if (tail4) bytes.set(tail4, 12);
  return bytes;
}

/** Parses an address; null when it is not a valid IPv4 or IPv6 literal (zone ids refused). */
export function parseIp(text: string): ParsedIp | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 45) return null;
  const mapped = MAPPED_V4.exec(text);
  const v4 = parseV4(mapped ? (mapped[1] as string) : text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseV6(text);
  return v6 ? { family: 6, bytes: v6 } : null;
}

/** Clears every bit after `prefix` (a copy; the input is not modified). */
export function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let bit = prefix; bit < out.length * 8; bit++) out[bit >> 3] = (out[bit >> 3] as number) & ~(0x80 >> (bit & 7));
  return out;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIp(family: 4 | 6, bytes: Uint8Array): string {
  if (family === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * Parses `addr` or `addr/prefix` into a canonical CIDR. Host bits must be zero
 * (`10.1.2.3/8` is refused, not silently widened, because it is usually a typo), except that
 * a bare address is its own /32 or /128.
 */
export function parseCidr(text: string): Cidr | null {
  if (typeof text !== 'string' || text.length > 49) return null;
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  const bytes = maskBytes(ip.bytes, prefix);
  if (!bytes.every((b, i) => b === ip.bytes[i])) return null;
  return { family: ip.family, bytes, prefix, text: `${formatIp(ip.family, bytes)}/${prefix}` };
}

/**
 * The key a client is counted under. IPv4: the address. IPv6: its /`v6Prefix` network
 * (default /64, the smallest block an ISP hands one subscriber), because a host that owns a
 * /64 can use 2^64 addresses and would otherwise get 2^64 separate limits.
 */
export function clientIpKey(ip: string, v6Prefix = 64): string {
  const parsed = parseIp(ip);
  if (!parsed) return `ip:${ip.slice(0, 64)}`;
  if (parsed.family === 4) return `ip:${formatIp(4, parsed.bytes)}`;
  return `ip:${formatIp(6, maskBytes(parsed.bytes, v6Prefix))}/${v6Prefix}`;
}

/** The CIDR a ban on `clientIpKey(ip)` covers (`a.b.c.d/32`, or the IPv6 /64). */
export function clientIpCidr(ip: string, v6Prefix = 64): string | null {
  const parsed = parseIp(ip);
  if (!parsed) return null;
  const prefix = parsed.family === 4 ? 32 : v6Prefix;
  return `${formatIp(parsed.family, maskBytes(parsed.bytes, prefix))}/${prefix}`;
}

/** True when `cidr` contains `ip` (same family after IPv4-mapped normalisation). */
export function cidrContains(cidr: Cidr, ip: ParsedIp): boolean {
  if (cidr.family !== ip.family) return false;
  const masked = maskBytes(ip.bytes, cidr.prefix);
  return masked.every((b, i) => b === cidr.bytes[i]);
}

/**
 * Pure allowlist check for trading operations (per user, per API key): true when `ip` lies in
 * one of `cidrs`. An empty list means "no restriction" and allows everything; an unparsable
 * address or entry never matches (fail closed for that entry).
 */
export function isIpAllowed(ip: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const parsed = parseIp(ip);
  if (!parsed) return false;
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (cidr && cidrContains(cidr, parsed)) return true;
  }
  return false;
}

/** The lookup key of `bytes` masked to `prefix` bits (hex of the network address). */
export function prefixKey(bytes: Uint8Array, prefix: number): string {
  const masked = maskBytes(bytes, prefix);
  return Buffer.from(masked.buffer, masked.byteOffset, masked.byteLength).toString('hex');
}

/** A fixed set of CIDR blocks with a membership test (trusted proxies, the /metrics allowlist). */
export interface CidrSet {
  has(ip: string): boolean;
}

/**
 * Builds a set from operator-supplied blocks (`10.0.0.0/8`, `::1/128`, or a bare address for
 * one host). Host bits are ignored here, as every proxy-list parser does (`10.1.2.3/8` is
 * `10.0.0.0/8`): these lists come from validated configuration, not from an admin form.
 * Membership costs one parse plus one Set lookup per distinct prefix length.
 */
export function createCidrSet(cidrs: readonly string[]): CidrSet {
  const tables: Record<4 | 6, Map<number, Set<string>>> = { 4: new Map(), 6: new Map() };
  for (const text of cidrs) {
    const slash = text.indexOf('/');
    const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
    const max = ip?.family === 6 ? 128 : 32;
    const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
    if (!ip || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (slash >= 0 && !/^\d{1,3}$/.test(text.slice(slash + 1)))) {
      throw new TypeError(`not an IP address or CIDR: ${text}`);
    }
    let keys = tables[ip.family].get(prefix);
    if (!keys) {
      keys = new Set();
      tables[ip.family].set(prefix, keys);
    }
    keys.add(prefixKey(ip.bytes, prefix));
  }
  const lengths: Record<4 | 6, number[]> = {
    4: [...tables[4].keys()].sort((a, b) => b - a),
    6: [...tables[6].keys()].sort((a, b) => b - a),
  };
  const empty = cidrs.length === 0;
  return {
    has(text) {
      if (empty) return false;
      const ip = parseIp(text);
      if (!ip) return false;
      for (const prefix of lengths[ip.family]) if (tables[ip.family].get(prefix)?.has(prefixKey(ip.bytes, prefix))) return true;
      return false;
    },
  };
}
