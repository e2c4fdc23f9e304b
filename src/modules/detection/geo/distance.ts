/**
 * Great-circle distance (haversine formula on a spherical Earth of mean radius 6,371 km). The
 * spherical model is off by < 0.5 % against the ellipsoid: far below geolocation error.
 */

const EARTH_RADIUS_KM = 6371;
const RAD = Math.PI / 180;

export interface LatLon {
  lat: number;
  lon: number;
}

export function distanceKm(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
