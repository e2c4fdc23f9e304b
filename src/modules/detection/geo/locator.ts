/**
 * IP geolocation for detection (impossible travel, new country, baselines), offline: the
 * `geoip-lite` package bundles a GeoLite2-derived database, so no lookup leaves the process and
 * no address is disclosed to a third party.
 *
 * The database is loaded lazily, once per process, on the first lookup: it costs ≈ 150 MB of
 * memory and ≈ 0.2 s of synchronous loading (measured on the 2-core CI machine), which a
 * replica that never sees a successful login should not pay. Lookups are then synchronous
 * (binary search over the in-memory ranges) and cached per address (bounded).
 */
import { createRequire } from 'node:module';
import { BlockList, isIP } from 'node:net';

import type { LatLon } from './distance.js';

export interface GeoLocation extends LatLon {
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** The database's accuracy radius around (lat, lon), in km: ~50 for a city, 1,000 for a country centroid. */
  accuracyKm: number;
}

export interface GeoLocator {
  /** Null for private, reserved, documentation or unknown addresses. */
  locate(ip: string): GeoLocation | null;
}

interface GeoipLite {
  lookup(ip: string): { country: string; ll: [number | null, number | null]; area: number } | null;
}

let database: GeoipLite | null = null;

function load(): GeoipLite {
  // geoip-lite is CommonJS and reads its data files synchronously when required.
  database ??= createRequire(import.meta.url)('geoip-lite') as GeoipLite;
  return database;
}

const CACHE_SIZE = 4_096;

/**
 * Ranges no database can place (RFC 6890 special-purpose: private, loopback, link-local,
 * documentation, CGNAT, ULA). Checked before the database, so a replica that only ever sees
 * such addresses (development, tests behind a private proxy) never loads it.
 */
const UNLOCATABLE = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 3]] as const) {
  UNLOCATABLE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['2001:db8::', 32], ['ff00::', 8]] as const) UNLOCATABLE.addSubnet(net, bits, 'ipv6');

function unlocatable(ip: string): boolean {
  const family = isIP(ip);
  return family === 0 || UNLOCATABLE.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** The geoip-lite backed locator. Nothing is loaded until the first `locate`. */
export function createGeoipLocator(): GeoLocator {
  const cache = new Map<string, GeoLocation | null>();
  return {
    locate(ip) {
      const cached = cache.get(ip);
      if (cached !== undefined) return cached;
      const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
      const found = unlocatable(address) ? null : load().lookup(address);
      const [lat, lon] = found?.ll ?? [null, null];
      const location = found && found.country && typeof lat === 'number' && typeof lon === 'number'
        ? { country: found.country, lat, lon, accuracyKm: found.area > 0 ? found.area : 1_000 }
        : null;
      // Bounded: cleared when full (cheaper than LRU bookkeeping on every hit; a miss costs one lookup).
      if (cache.size >= CACHE_SIZE) cache.clear();
      cache.set(ip, location);
      return location;
    },
  };
}
