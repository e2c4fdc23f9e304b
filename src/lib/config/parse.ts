/**
 * Small, strict parsers for Q2_* values. Each throws ConfigError naming the variable, so a bad
 * value stops the start with one clear line (STYLE §8).
 */
import { isIP } from 'node:net';

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export function parsePort(variable: string, raw: string): number {
  if (!/^\d{1,5}$/.test(raw)) throw new ConfigError(variable, `must be a port number, got "${raw}"`);
  const port = Number(raw);
  if (port < 1 || port > 65535) throw new ConfigError(variable, `must be between 1 and 65535, got ${port}`);
  return port;
}

export function parseHost(variable: string, raw: string): string {
  if (isIP(raw) !== 0 || raw === 'localhost' || /^[a-z0-9.-]{1,253}$/i.test(raw)) return raw;
  throw new ConfigError(variable, `must be an IP address or host name, got "${raw}"`);
}

/** A CIDR list like "10.0.0.0/8, ::1/128"; a bare address means a single host. */
export function parseCidrList(variable: string, raw: string): string[] {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const item of items) {
    const [address, prefix, extra] = item.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || extra !== undefined) throw new ConfigError(variable, `"${item}" is not an IP address or CIDR`);
    if (prefix !== undefined) {
      const max = family === 4 ? 32 : 128;
      if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
        throw new ConfigError(variable, `"${item}" has an invalid prefix length (0-${max})`);
      }
    }
  }
  return items;
}

export function parseUrl(variable: string, raw: string, schemes: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, 'is not a valid URL');
  }
  if (!schemes.includes(url.protocol.replace(/:$/, ''))) {
    throw new ConfigError(variable, `scheme must be one of ${schemes.join(', ')}, got "${url.protocol.replace(/:$/, '')}"`);
  }
  return raw;
}

export function parseEnum<T extends string>(variable: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(variable, `must be one of ${allowed.join(', ')}, got "${raw}"`);
}

export function parsePositiveInt(variable: string, raw: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ConfigError(variable, `must be a positive integer up to ${max}, got "${raw}"`);
  }
  return Number(raw);
}
