/**
 * Threat: a stolen or leaked backup code used twice — sequentially, or raced from two
 * connections or two replicas so both requests pass the check before either marks it used.
 * Exactly one use may ever succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MfaService } from '../../src/modules/mfa/index.js';
import { mfaBackends, type MfaTestEnv } from '../support/mfa-harness.js';

let counter = 0;
const newUser = () => `victim-backup-${++counter}-${Math.random().toString(36).slice(2)}`;

describe.each(await mfaBackends())('backup-code attacks on $name', (backend) => {
  let env: MfaTestEnv;
  let replicaA: MfaService;
  let replicaB: MfaService;

  beforeAll(async () => {
    env = await backend.open();
    replicaA = env.service();
    replicaB = await env.replica();
  });
  afterAll(async () => env?.close());

  it('rejects a code that was already used (sequential reuse)', async () => {
    const userId = newUser();
    const [code] = await replicaA.backupCodes.regenerate(userId);
    await expect(replicaA.backupCodes.verify(userId, code!)).resolves.toEqual({ ok: true });
    await expect(replicaB.backupCodes.verify(userId, code!)).resolves.toEqual({ ok: false, reason: 'replayed' });
    await expect(replicaA.backupCodes.verify(userId, code!.toLowerCase())).resolves.toEqual({ ok: false, reason: 'replayed' });
  });

  it('lets exactly one of concurrent uses of one code win (two replicas, eight requests)', async () => {
    const userId = newUser();
    const [code] = await replicaA.backupCodes.regenerate(userId);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? replicaA : replicaB).backupCodes.verify(userId, code!)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replayed')).toHaveLength(7);
    await expect(replicaA.backupCodes.remaining(userId)).resolves.toBe(9);
    const used = await env.db.kysely.selectFrom('mfa_backup_codes').select('used_at').where('user_id', '=', userId).where('used_at', 'is not', null).execute();
    expect(used).toHaveLength(1);
  });

  it("rejects a victim's code presented for the attacker's own account", async () => {
    const [victim, attacker] = [newUser(), newUser()];
    const [victimCode] = await replicaA.backupCodes.regenerate(victim);
    await replicaA.backupCodes.regenerate(attacker);
    await expect(replicaA.backupCodes.verify(attacker, victimCode!)).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(replicaA.backupCodes.verify(victim, victimCode!)).resolves.toEqual({ ok: true });
  });

  it('codes printed before a regeneration are dead afterwards', async () => {
    const userId = newUser();
    const leaked = await replicaA.backupCodes.regenerate(userId);
    await replicaB.backupCodes.regenerate(userId);
    const verdicts = await Promise.all(leaked.slice(0, 3).map((code) => replicaA.backupCodes.verify(userId, code)));
    expect(verdicts.every((v) => !v.ok)).toBe(true);
  });

  it('stops guessing after 10 wrong codes within the window', async () => {
    const userId = newUser();
    const [code] = await replicaA.backupCodes.regenerate(userId);
    for (let i = 0; i < 10; i++) await replicaB.backupCodes.verify(userId, `ZZZZ-ZZZZ-ZZ${String(i).padStart(2, '0')}`);
    await expect(replicaA.backupCodes.verify(userId, code!)).resolves.toEqual({ ok: false, reason: 'too_many_attempts' });
    await expect(replicaA.backupCodes.remaining(userId)).resolves.toBe(10);
  });
});
