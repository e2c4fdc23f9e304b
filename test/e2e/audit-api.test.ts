/**
 * The audit admin API end to end (SPEC §7): events emitted on the platform's bus become durable,
 * pseudonymised entries; search, verification, inclusion and consistency proofs and the signed
 * head are served under their named permissions with strict schemas; a tamper made directly in
 * the database is reported with its seq. Proofs and heads are checked here with node:crypto and
 * the RFC 9162 algorithms written out below, not with the module's own verifier.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Principal, Role } from '../../src/lib/auth/index.js';
import { createManualClock } from '../../src/lib/clock/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const clock = createManualClock(Date.UTC(2026, 3, 1, 12));
let platform: TestPlatform;

async function authenticate(request: FastifyRequest): Promise<Principal | null> {
  const role = request.headers['x-test-role'];
  if (typeof role !== 'string') return null;
  return { kind: 'user', userId: `${role}-7`, roles: [role as Role], amr: ['pwd', 'otp'], authTime: clock.now() };
}

beforeAll(async () => {
  platform = await startTestPlatform({}, { clock, authenticate, insecureHttp: true });
  for (let i = 0; i < 30; i++) {
    platform.events.emit({
      type: i % 3 === 0 ? 'auth.login' : 'order.rejected', actor: i % 2 ? `user-${i % 5}` : 'Bob@Example.org', outcome: i % 4 ? 'success' : 'failure',
      ip: `203.0.113.${i}`, requestId: `req-${i}`, target: `order-${i}`, details: { i, email: 'bob@example.org', symbol: 'BTC-USD' },
      time: Date.UTC(2026, 3, 1, 10, i),
    });
  }
  await platform.events.drain();
});
afterAll(async () => platform?.stop());

const get = (url: string, role: string | null = 'compliance') =>
  platform.app.inject({ method: 'GET', url, headers: role ? { 'x-test-role': role } : {} });

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const node = (l: Buffer, r: Buffer) => sha256(Buffer.from([1]), l, r);

/** RFC 9162 §2.1.3.2, written independently of src/. */
function rootFromPath(index: number, size: number, leaf: Buffer, path: Buffer[]): Buffer | null {
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

describe('guards', () => {
  it.each([
    ['/v1/admin/audit', 'audit:read'],
    ['/v1/admin/audit/verify', 'audit:verify'],
    ['/v1/admin/audit/proof/0', 'audit:read'],
    ['/v1/admin/audit/consistency?from=1', 'audit:read'],
    ['/v1/admin/audit/tree-head', 'audit:read'],
  ])('%s needs a principal (401) with %s (403 for a trader)', async (url) => {
    expect((await get(url, null)).json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect((await get(url, 'trader')).json()).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect((await get(url, 'security')).statusCode).toBe(200);
  });
});

describe('GET /v1/admin/audit', () => {
  it('returns the bus events as entries with personal data pseudonymised, never cached', async () => {
    const res = await get('/v1/admin/audit?limit=1000');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const { entries } = res.json<{ entries: Record<string, unknown>[] }>();
    expect(entries.length).toBeGreaterThanOrEqual(30);
    const first = entries.find((e) => e.requestId === 'req-0')!;
    expect(first).toMatchObject({ action: 'auth.login', outcome: 'failure', target: 'order-0', time: Date.UTC(2026, 3, 1, 10, 0) });
    expect(first.ip).toMatch(/^ps:ip:/);
    expect(first.actor).toMatch(/^ps:email:/);
    expect(JSON.stringify(entries)).not.toMatch(/203\.0\.113|bob@example/i);
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((a, b) => Number(a) - Number(b)));
  });

  it('filters by clear actor, action, outcome and time, and pages with the cursor', async () => {
    const q = `/v1/admin/audit?actor=bob@example.org&action=order.rejected&outcome=success&from=${encodeURIComponent('2026-04-01T10:00:00Z')}&to=${Date.UTC(2026, 3, 1, 10, 20)}&limit=2`;
    const page1 = (await get(q)).json<{ entries: { seq: number; requestId: string }[]; nextCursor: number | null }>();
    expect(page1.entries).toHaveLength(2);
    const page2 = (await get(`${q}&cursor=${page1.nextCursor}`)).json<{ entries: { seq: number; requestId: string }[] }>();
    const ids = [...page1.entries, ...page2.entries].map((e) => Number(e.requestId.slice(4)));
    for (const i of ids) expect(i % 2 === 0 && i % 3 !== 0 && i % 4 !== 0 && i < 20).toBe(true);
    const newestFirst = (await get('/v1/admin/audit?order=desc&limit=3')).json<{ entries: { seq: number }[] }>().entries;
    expect(newestFirst[0]!.seq).toBeGreaterThan(newestFirst[2]!.seq);
  });

  it.each([
    ['an unknown parameter', '?sort=time', 'querystring/sort'],
    ['a limit above 1000', '?limit=5000', 'querystring/limit'],
    ['a malformed time', '?from=yesterday', 'querystring/from'],
    ['an impossible date', '?from=2026-02-31T00:00:00Z', 'querystring/from'],
    ['an unknown outcome', '?outcome=maybe', 'querystring/outcome'],
    ['an over-long actor', `?actor=${'a'.repeat(400)}`, 'querystring/actor'],
  ])('rejects %s with 400 VALIDATION_FAILED naming it', async (_name, query, path) => {
    const res = await get(`/v1/admin/audit${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(res.json().detail).toContain(path);
  });

  it('records the search itself as an audit entry', async () => {
    await get('/v1/admin/audit?action=auth.login');
    await platform.events.drain();
    const res = (await get('/v1/admin/audit?action=audit.searched&order=desc&limit=1')).json<{ entries: Record<string, unknown>[] }>();
    expect(res.entries[0]).toMatchObject({ actor: 'compliance-7', outcome: 'info', details: expect.objectContaining({ action: 'auth.login' }) });
  });
});

describe('proofs and signed heads', () => {
  it('serves an inclusion proof that leads to a root signed by the published key', async () => {
    const head = (await get('/v1/admin/audit/tree-head')).json<{ publicKey: string }>();
    const res = await get('/v1/admin/audit/proof/17');
    expect(res.statusCode).toBe(200);
    const p = res.json<{ leafIndex: number; treeSize: number; leafHash: string; proof: string[]; rootHash: string; treeHead: { checkpoint: string; rootHash: string }; entry: { seq: number } }>();
    expect(p.entry.seq).toBe(17);
    const root = rootFromPath(p.leafIndex, p.treeSize, Buffer.from(p.leafHash, 'hex'), p.proof.map((h) => Buffer.from(h, 'hex')));
    expect(root?.toString('hex')).toBe(p.treeHead.rootHash);
    const [body, signatureLine] = p.treeHead.checkpoint.split('\n\n') as [string, string];
    expect(body.split('\n')[1]).toBe(String(p.treeSize));
    expect(Buffer.from(body.split('\n')[2]!, 'base64').toString('hex')).toBe(p.rootHash);
    const signature = Buffer.from(signatureLine.trim().split(' ')[2]!, 'base64').subarray(4);
    expect(verify(null, Buffer.from(`${body}\n`), createPublicKey(head.publicKey), signature)).toBe(true);
  });

  it('serves a consistency proof between two sizes', async () => {
    const res = await get('/v1/admin/audit/consistency?from=10');
    expect(res.statusCode).toBe(200);
    const p = res.json<{ fromSize: number; toSize: number; proof: string[]; toHead: { rootHash: string } | null }>();
    expect(p.fromSize).toBe(10);
    expect(p.proof.length).toBeGreaterThan(0);
    expect(p.toHead?.rootHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['/v1/admin/audit/proof/999999', 404, 'NOT_FOUND'],
    ['/v1/admin/audit/proof/3?treeSize=2', 400, 'AUDIT_RANGE_INVALID'],
    ['/v1/admin/audit/proof/-1', 400, 'VALIDATION_FAILED'],
    ['/v1/admin/audit/proof/abc', 400, 'VALIDATION_FAILED'],
    ['/v1/admin/audit/consistency?from=0', 400, 'VALIDATION_FAILED'],
    ['/v1/admin/audit/consistency?from=20&to=10', 400, 'AUDIT_RANGE_INVALID'],
    ['/v1/admin/audit/consistency?from=1&to=99999999', 400, 'AUDIT_RANGE_INVALID'],
    ['/v1/admin/audit/consistency', 400, 'VALIDATION_FAILED'],
  ])('%s answers %i %s', async (url, status, code) => {
    const res = await get(url);
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
  });
});

describe('GET /v1/admin/audit/verify', () => {
  it('reports the intact log, then names the seq edited directly in the database', async () => {
    const ok = (await get('/v1/admin/audit/verify')).json<{ ok: boolean; entries: number; treeHead: unknown }>();
    expect(ok).toMatchObject({ ok: true });
    expect(ok.entries).toBeGreaterThanOrEqual(30);
    expect(ok).not.toHaveProperty('firstBadSeq');
    // Flip the outcome, whatever entry 12 happens to be (boot-time events shift the numbering).
    const { outcome } = await platform.db.kysely.selectFrom('audit_entries').select('outcome').where('seq', '=', 12n).executeTakeFirstOrThrow();
    await platform.db.kysely.updateTable('audit_entries').set({ outcome: outcome === 'success' ? 'failure' : 'success' }).where('seq', '=', 12n).execute();
    const bad = (await get('/v1/admin/audit/verify')).json();
    expect(bad).toMatchObject({ ok: false, firstBadSeq: 12, reason: 'entry-altered' });
    expect(JSON.stringify(bad)).not.toMatch(/select|sqlite|\/tmp/i);
  });
});
