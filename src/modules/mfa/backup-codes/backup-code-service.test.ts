/** Backup codes on each backend pair: hashing, single use, atomic concurrent use, regeneration. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { leakedSecrets, mfaBackends, type MfaTestEnv } from '../../../../test/support/mfa-harness.js';
import type { MfaService } from '../types.js';

let counter = 0;
const newUser = () => `user-backup-${++counter}-${Math.random().toString(36).slice(2)}`;

describe.each(await mfaBackends())('backup codes on $name', (backend) => {
  let env: MfaTestEnv;
  let mfa: MfaService;

  beforeAll(async () => {
    env = await backend.open();
    mfa = env.service();
  });
  afterAll(async () => env?.close());

  it('issues 10 distinct codes and stores only Argon2id hashes (m=19 MiB, t=2) of them', async () => {
    const userId = newUser();
    const codes = await mfa.backupCodes.regenerate(userId);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const rows = await env.db.kysely.selectFrom('mfa_backup_codes').selectAll().where('user_id', '=', userId).execute();
    expect(rows).toHaveLength(10);
    const stored = JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    for (const code of codes) expect(stored).not.toContain(code.replace(/-/g, '').slice(4));
    for (const row of rows) expect(row.code_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(mfa.backupCodes.remaining(userId)).resolves.toBe(10);
  });

  it('accepts each code once, in any case or spacing, and counts down', async () => {
    const userId = newUser();
    const codes = await mfa.backupCodes.regenerate(userId);
    await expect(mfa.backupCodes.verify(userId, codes[3]!.toLowerCase().replace(/-/g, ' '))).resolves.toEqual({ ok: true });
    await expect(mfa.backupCodes.remaining(userId)).resolves.toBe(9);
    await expect(mfa.backupCodes.verify(userId, codes[3]!)).resolves.toEqual({ ok: false, reason: 'replayed' });
    await expect(mfa.backupCodes.verify(userId, codes[4]!)).resolves.toEqual({ ok: true });
    await expect(mfa.backupCodes.remaining(userId)).resolves.toBe(8);
  });

  it("refuses a wrong code, a malformed code, and another user's code", async () => {
    const userId = newUser();
    const codes = await mfa.backupCodes.regenerate(userId);
    const otherCodes = await mfa.backupCodes.regenerate(newUser());
    // Same tag, wrong secret part: reaches the Argon2 check and fails it.
    const last = codes[0]!.at(-1);
    const sameTag = `${codes[0]!.slice(0, -1)}${last === '0' ? '1' : '0'}`;
    await expect(mfa.backupCodes.verify(userId, sameTag)).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(mfa.backupCodes.verify(userId, 'not-a-code')).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(mfa.backupCodes.verify(userId, otherCodes[0]!)).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(mfa.backupCodes.remaining(userId)).resolves.toBe(10);
  });

  it('answers not_enrolled when the user has no unused code', async () => {
    await expect(mfa.backupCodes.verify(newUser(), 'AAAA-BBBB-CCCC')).resolves.toEqual({ ok: false, reason: 'not_enrolled' });
  });

  it('regenerating invalidates every earlier code', async () => {
    const userId = newUser();
    const old = await mfa.backupCodes.regenerate(userId);
    const fresh = await mfa.backupCodes.regenerate(userId);
    await expect(mfa.backupCodes.verify(userId, old[0]!)).resolves.toMatchObject({ ok: false });
    await expect(mfa.backupCodes.verify(userId, fresh[0]!)).resolves.toEqual({ ok: true });
    await expect(mfa.backupCodes.remaining(userId)).resolves.toBe(9);
  });

  it('emits generated/used/failed events with the remaining count, never a code', async () => {
    const userId = newUser();
    const codes = await mfa.backupCodes.regenerate(userId, { requestId: 'r-gen' });
    await mfa.backupCodes.verify(userId, codes[0]!);
    await mfa.backupCodes.verify(userId, codes[0]!);
    const events = (await env.events()).filter((e) => e.actor === userId);
    expect(events.map((e) => e.type)).toEqual(['mfa.backup_code.generated', 'mfa.backup_code.used', 'mfa.backup_code.failed']);
    expect(events[1]!.details).toEqual({ method: 'backup_code', remaining: 9 });
    expect(events[2]!.details).toEqual({ method: 'backup_code', reason: 'replayed' });
    expect(leakedSecrets(events, [...codes, ...codes.map((c) => c.replace(/-/g, ''))])).toEqual([]);
  });
});
