/**
 * Threat: client-address spoofing through X-Forwarded-For, to dodge per-address limits, bans
 * and deny rules, or to get someone else blocked. Property: the header is believed only from
 * a peer inside Q2_TRUST_PROXY, and then only the hop that proxy itself saw; from any other
 * peer it changes nothing. Real TLS sockets from two loopback source addresses: 127.0.0.2 is
 * the trusted proxy, 127.0.0.1 a direct (untrusted) client.
 */
import https from 'node:https';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK_CONFIG, type NetworkCapability } from '../../src/modules/network/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let base: string;

function routes(app: FastifyInstance): void {
  app.get('/v1/test/whoami', { config: { rateLimit: 'auth' } }, async (request) => ({ ip: request.ip }));
}

beforeAll(async () => {
  platform = await startTestPlatform({ Q2_TRUST_PROXY: '127.0.0.2/32' }, { routes: [routes] });
  base = await platform.listen();
  const network = platform.capabilities.find((c) => c.name === 'network') as NetworkCapability;
  await network.protection.blockIp('203.0.113.0/24', { reason: 'test range' });
});
afterAll(async () => platform.stop());

function get(localAddress: string, forwardedFor?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${base}/v1/test/whoami`, {
      localAddress, rejectUnauthorized: false, agent: false,
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('X-Forwarded-For from an untrusted peer', () => {
  it('does not change the client address', async () => {
    const res = await get('127.0.0.1', '198.51.100.77');
    expect(res).toEqual({ status: 200, body: { ip: '127.0.0.1' } });
  });

  it('cannot frame a blocked address, nor escape the per-address budget by rotating it', async () => {
    expect((await get('127.0.0.1', '203.0.113.5')).status).toBe(200);
    const limit = DEFAULT_NETWORK_CONFIG.classes.auth.perIp!.limit;
    const statuses: number[] = [];
    for (let i = 0; i < limit + 3; i++) statuses.push((await get('127.0.0.1', `100.64.${i >> 8}.${i & 255}`)).status);
    // Honouring the header would have given every rotated address a fresh budget (all 200).
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(limit);
    expect(statuses.slice(-3)).toEqual([429, 429, 429]);
  });
});

describe('X-Forwarded-For from the trusted proxy', () => {
  it('sets the client address to the hop the proxy saw', async () => {
    expect(await get('127.0.0.2', '198.51.100.77')).toEqual({ status: 200, body: { ip: '198.51.100.77' } });
  });

  it('ignores entries a client prepended before the proxy appended the real one', async () => {
    expect(await get('127.0.0.2', '203.0.113.5, 198.51.100.78')).toEqual({ status: 200, body: { ip: '198.51.100.78' } });
  });

  it('makes rules apply to the real client behind the proxy', async () => {
    const res = await get('127.0.0.2', '203.0.113.5');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('IP_BLOCKED');
  });
});
