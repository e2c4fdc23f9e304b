/** The received bytes are kept, exactly, when (and only when) the request declares a Content-Digest. */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerRawBody } from './raw-body.js';

async function app() {
  const instance = Fastify();
  registerRawBody(instance);
  instance.post('/echo', async (request) => ({ raw: request.rawBody?.toString('utf8') ?? null, parsed: request.body }));
  await instance.ready();
  return instance;
}

describe('raw body', () => {
  it('keeps the exact bytes (whitespace, key order) beside the parsed body when Content-Digest is present', async () => {
    const payload = '{ "b": 1,\n  "a": "x" }';
    const res = await (await app()).inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': 'application/json', 'content-digest': 'sha-256=:AAAA:' } });
    expect(res.json()).toEqual({ raw: payload, parsed: { b: 1, a: 'x' } });
  });

  it('keeps nothing without Content-Digest', async () => {
    const res = await (await app()).inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
    expect(res.json()).toEqual({ raw: null, parsed: { a: 1 } });
  });

  it('still enforces the body limit on a kept body', async () => {
    const instance = Fastify({ bodyLimit: 16 });
    registerRawBody(instance);
    instance.post('/echo', async () => ({ ok: true }));
    const res = await instance.inject({ method: 'POST', url: '/echo', payload: JSON.stringify({ a: 'x'.repeat(64) }), headers: { 'content-type': 'application/json', 'content-digest': 'sha-256=:AAAA:' } });
    expect(res.statusCode).toBe(413);
  });
});
