/**
 * Threat: a client crashes the server or extracts internals with malformed input (random bodies,
 * headers, paths, methods). Property: whatever a client sends, the answer is < 500, errors are
 * problem+json with a code, and no unhandled rejection or crash happens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

function routes(app: FastifyInstance): void {
  app.post('/v1/test/orders', {
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['symbol', 'side', 'quantity'],
        properties: {
          symbol: { type: 'string', pattern: '^[A-Z]{2,10}-[A-Z]{2,10}$' },
          side: { type: 'string', enum: ['buy', 'sell'] },
          quantity: { type: 'string', pattern: '^[0-9]{1,20}(\\.[0-9]{1,18})?$' },
          tags: { type: 'array', maxItems: 5, items: { type: 'string', maxLength: 32 } },
        },
      },
      querystring: { type: 'object', additionalProperties: false, properties: { dryRun: { type: 'boolean' } } },
    },
  }, async (req) => ({ ok: true, body: req.body }));
  app.get('/v1/test/items/:id', {
    schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z0-9-]{1,36}$' } } } },
  }, async (req) => ({ id: (req.params as { id: string }).id }));
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  platform = await startTestPlatform({}, { routes: [routes], insecureHttp: true });
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await platform.stop();
});

const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
const paths = fc.oneof(
  fc.constantFrom('/v1/test/orders', '/v1/test/items/abc', '/healthz', '/readyz', '/v1/openapi.json', '/metrics'),
  fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
  fc.string({ maxLength: 200 }).map((s) => `/v1/${encodeURIComponent(s)}`),
  fc.array(fc.constantFrom('..', '%2e%2e', '%00', '/', 'v1', '%ff', '?', '#', '//', ';'), { maxLength: 12 }).map((p) => `/${p.join('')}`),
);
const bodies = fc.oneof(
  fc.json(),
  fc.string({ maxLength: 500 }),
  fc.jsonValue().map((v) => JSON.stringify({ symbol: 'BTC-USD', side: 'buy', quantity: '1', extra: v })),
  fc.record({
    symbol: fc.oneof(fc.string(), fc.constant('BTC-USD'), fc.integer()),
    side: fc.oneof(fc.constantFrom('buy', 'sell'), fc.string()),
    quantity: fc.oneof(fc.string(), fc.double(), fc.constant('1.5')),
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '[]', 'null', '{', '\u0000', '{"a":' + '['.repeat(5000)),
);
const contentTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1', 'application/problem+json');
const headerValues = fc.string({ maxLength: 100 }).filter((s) => /^[\t\x20-\x7e]*$/.test(s));

describe('HTTP fuzzing', () => {
  it('answers thousands of random requests without a 5xx, and every error is a coded problem', async () => {
    await fc.assert(
      fc.asyncProperty(methods, paths, bodies, contentTypes, fc.dictionary(fc.constantFrom('x-forwarded-for', 'x-request-id', 'accept', 'authorization', 'cookie', 'x-csrf-token', 'signature', 'signature-input', 'content-digest'), headerValues), fc.ipV4(), async (method, url, body, contentType, headers, remoteAddress) => {
        const hasBody = !['GET', 'HEAD', 'OPTIONS'].includes(method);
        // A random client address per request, so the network layer's bans (a fuzzer is an
        // abusive client) do not turn every later request into the same 403 and hide deeper paths.
        const res = await platform.app.inject({
          method: method as 'GET', url, remoteAddress, headers: { ...headers, ...(contentType && hasBody ? { 'content-type': contentType } : {}) },
          ...(hasBody ? { payload: body } : {}),
        });
        expect(res.statusCode, `${method} ${url} -> ${res.body.slice(0, 200)}`).toBeLessThan(500);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        if (res.statusCode >= 400 && method !== 'HEAD') {
          const problem = res.json() as { code?: string; requestId?: string };
          expect(problem.code).toMatch(/^[A-Z_]+$/);
          expect(problem.requestId).toBe(res.headers['x-request-id']);
        }
      }),
      { numRuns: 3000 },
    );
    expect(unhandled).toEqual([]);
  });

  it('survives random raw bytes on the socket (request line and header parser)', async () => {
    const url = await platform.listen();
    const port = Number(new URL(url).port);
    const send = (bytes: Buffer) => new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let out = '';
      socket.setTimeout(2_000, () => socket.destroy());
      socket.on('data', (d) => { out += d.toString('latin1'); });
      socket.on('close', () => resolve(out));
      socket.on('error', () => resolve(out));
      socket.end(bytes);
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
          fc.tuple(methods, fc.string({ maxLength: 100 }), fc.string({ maxLength: 200 })).map(([m, p, h]) => Buffer.from(`${m} /${p} HTTP/1.1\r\nHost: x\r\n${h}\r\n\r\n`, 'latin1')),
        ),
        async (bytes) => {
          const answer = await send(bytes);
          const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
          if (status) expect(Number(status), answer.slice(0, 300)).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    // The raw-socket fuzzer itself may be banned by now; a legitimate client is still served.
    const health = await platform.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '192.0.2.200' });
    expect(health.statusCode).toBe(200);
    expect(unhandled).toEqual([]);
  });
});
