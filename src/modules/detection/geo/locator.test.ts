/**
 * The bundled geoip-lite database loads offline here and places well-known public addresses in
 * their countries (the same addresses the attack suite uses); special-purpose ranges are never
 * located; distances match known great-circle figures.
 */
import { describe, expect, it } from 'vitest';

import { distanceKm } from './distance.js';
import { createGeoipLocator } from './locator.js';

const geo = createGeoipLocator();

describe('createGeoipLocator', () => {
  it.each([
    ['81.2.69.142', 'GB'],
    ['202.12.27.33', 'JP'],
    ['89.160.20.128', 'SE'],
    ['::ffff:81.2.69.142', 'GB'],
  ])('locates %s in %s, with coordinates and an accuracy radius', (ip, country) => {
    const location = geo.locate(ip);
    expect(location?.country).toBe(country);
    expect(Math.abs(location!.lat)).toBeLessThanOrEqual(90);
    expect(location!.accuracyKm).toBeGreaterThan(0);
  });

  it.each(['127.0.0.1', '10.1.2.3', '192.168.1.1', '203.0.113.7', '198.51.100.1', '::1', 'fe80::1', 'not-an-ip', ''])('does not locate %s', (ip) => {
    expect(geo.locate(ip)).toBeNull();
  });
});

describe('distanceKm', () => {
  it('measures London–Tokyo and a quarter meridian', () => {
    expect(distanceKm({ lat: 51.5074, lon: -0.1278 }, { lat: 35.6762, lon: 139.6503 })).toBeCloseTo(9_560, -2);
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 90, lon: 0 })).toBeCloseTo(Math.PI * 6371 / 2, 6);
    expect(distanceKm({ lat: 10, lon: 10 }, { lat: 10, lon: 10 })).toBe(0);
  });
});
