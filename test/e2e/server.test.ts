/**
 * The HTTPS edge end to end over a real TLS socket: TLS versions, SPEC §2 headers, problem+json
 * errors, body hardening, metrics and OpenAPI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { request } from '../support/https.js';

const SPEC_HEADERS: Record<string, string | RegExp> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': /camera=\(\)/,
  'x-request-id': /^[0-9a-f-]{36}$/,
};

function expectSpecHeaders(headers: Record<string, unknown>): void {
  for (const [name, expected] of Object.entries(SPEC_HEADERS)) {
    const value = headers[name];
    expect(value, name).toBeTypeOf('string');
    if (typeof expected === 'string') expect(value, name).toBe(expected);
    else expect(value, name).toMatch(expected);
  }
}

function expectProblem(res: { status: number; headers: Record<string, unknown>; json(): Record<string, unknown> }, code: string): void {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ type: `urn:q2:error:${code}`, code, status: res.status, requestId: res.headers['x-request-id'] });
  expect(body.title).toBeTypeOf('string');
  expect(body.detail).toBeTypeOf('string');
}

/** A route with a strict body schema and one that fails internally, to exercise the edge. */
function testRoutes(app: FastifyInstance): void {
  app.post('/v1/test/echo', {
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['symbol'],
        properties: { symbol: { type: 'string', maxLength: 20 }, quantity: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' } },
      },
    },
  }, async (req) => ({ received: req.body }));
  app.get('/v1/test/boom', async () => {
    throw new Error('connect ECONNREFUSED /var/lib/postgres password=hunter2 at SELECT * FROM users');
  });
}

let platform: TestPlatform;
let base: string;
let cert: string;

beforeAll(async () => {
  platform = await startTestPlatform({}, { routes: [testRoutes] });
  base = await platform.listen();
  cert = readFileSync(path.join(platform.dataDir, 'tls', 'cert.pem'), 'utf8');
});
afterAll(async () => platform.stop());

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('TLS', () => {
  const port = () => Number(new URL(base).port);
  const handshake = (options: tls.ConnectionOptions) => new Promise<string>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: port(), ca: cert, servername: 'localhost', ...options }, () => {
      const version = socket.getProtocol() ?? '';
      socket.end();
      resolve(version);
    });
    socket.on('error', reject);
  });

  it('serves TLS 1.3 with the generated development certificate (verified, not ignored)', async () => {
    expect(await handshake({ minVersion: 'TLSv1.3' })).toBe('TLSv1.3');
    const res = await request(`${base}/healthz`, { ca: cert });
    expect(res.status).toBe(200);
  });

  it('refuses a TLS 1.2 client by default', async () => {
    await expect(handshake({ maxVersion: 'TLSv1.2' })).rejects.toThrow();
  });

  it('writes the development key with mode 0600', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(path.join(platform.dataDir, 'tls', 'key.pem')).mode & 0o777).toBe(0o600);
  });
});

describe('secure headers (SPEC §2)', () => {
  it('are on a 200', async () => {
    const res = await request(`${base}/healthz`);
    expect(res.status).toBe(200);
    expectSpecHeaders(res.headers);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('are on a 404 with a NOT_FOUND problem', async () => {
    const res = await request(`${base}/v1/nope`);
    expect(res.status).toBe(404);
    expectSpecHeaders(res.headers);
    expectProblem(res, 'NOT_FOUND');
  });

  it('are on a 400 with a VALIDATION_FAILED problem naming the unknown field', async () => {
    const res = await request(`${base}/v1/test/echo`, json({ symbol: 'BTC-USD', extra: 1 }));
    expect(res.status).toBe(400);
    expectSpecHeaders(res.headers);
    expectProblem(res, 'VALIDATION_FAILED');
    expect(res.json().detail).toBe('body/extra: unknown field');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('give every response its own request id', async () => {
    const [a, b] = await Promise.all([request(`${base}/healthz`), request(`${base}/healthz`)]);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });
});

describe('bad input is a 4xx with a code, never a 5xx', () => {
  it.each([
    ['malformed JSON', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"symbol":' }, 400, 'MALFORMED_BODY'],
    ['empty JSON body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }, 400, 'MALFORMED_BODY'],
    ['wrong content type', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['__proto__ poisoning', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"symbol":"x","__proto__":{"admin":true}}' }, 400, 'MALFORMED_BODY'],
    ['constructor.prototype poisoning', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"symbol":"x","constructor":{"prototype":{"admin":true}}}' }, 400, 'MALFORMED_BODY'],
    ['a number where a string is required (no coercion)', json({ symbol: 42 }), 400, 'VALIDATION_FAILED'],
    ['a missing required field', json({}), 400, 'VALIDATION_FAILED'],
    ['an oversized body', json({ symbol: 'x'.repeat(70 * 1024) }), 413, 'PAYLOAD_TOO_LARGE'],
  ])('%s', async (_name, options, status, code) => {
    const res = await request(`${base}/v1/test/echo`, options as Parameters<typeof request>[1]);
    expect(res.status).toBe(status);
    expectSpecHeaders(res.headers);
    expectProblem(res, code);
  });

  it('answers oversized headers with a 431 problem and the security headers', async () => {
    const res = await request(`${base}/healthz`, { headers: { 'x-filler': 'a'.repeat(20 * 1024) } });
    expect(res.status).toBe(431);
    expectSpecHeaders(res.headers);
    expect(res.json()).toMatchObject({ code: 'HEADERS_TOO_LARGE' });
  });

  it('accepts a valid body unchanged', async () => {
    const res = await request(`${base}/v1/test/echo`, json({ symbol: 'BTC-USD', quantity: '0.015' }));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ received: { symbol: 'BTC-USD', quantity: '0.015' } });
  });
});

describe('internal errors', () => {
  it('never leak the message, stack, SQL, paths or secrets', async () => {
    const res = await request(`${base}/v1/test/boom`);
    expect(res.status).toBe(500);
    expectProblem(res, 'INTERNAL_ERROR');
    for (const leak of ['ECONNREFUSED', 'hunter2', 'SELECT', '/var/lib', 'at ', 'Error:']) expect(res.text).not.toContain(leak);
  });
});

describe('health, metrics and OpenAPI', () => {
  it('readyz reports database and state checks', async () => {
    const res = await request(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { database: 'ok', state: 'ok' } });
  });

  it('/metrics exposes request counts and latency by route template and status to loopback', async () => {
    await request(`${base}/v1/nope/${Math.random()}`);
    const res = await request(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/q2_http_requests_total\{route="\/healthz",method="GET",status="200"\} \d+/);
    expect(res.text).toContain('q2_http_request_duration_seconds_bucket');
    // Random paths collapse into one label value instead of exploding cardinality.
    expect(res.text).toMatch(/route="unmatched",method="GET",status="404"/);
    expect(res.text).not.toMatch(/route="\/v1\/nope/);
  });

  it('serves the OpenAPI document built from route schemas', async () => {
    const res = await request(`${base}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/v1/test/echo']));
  });
});

describe('metrics access control', () => {
  it('answers 404 NOT_FOUND to a client outside Q2_METRICS_ALLOW', async () => {
    const other = await startTestPlatform({ Q2_METRICS_ALLOW: '10.0.0.0/8' });
    try {
      const url = await other.listen();
      const res = await request(`${url}/metrics`);
      expect(res.status).toBe(404);
      expectProblem(res, 'NOT_FOUND');
      expect(res.text).not.toContain('q2_http');
    } finally {
      await other.stop();
    }
  });
});
