/**
 * MFA costs, each against a baseline measured in the same run:
 * (1) TOTP verification end to end (row read, secret decryption, three HMACs, replay claim)
 *     against the three raw HMAC-SHA1 computations it cannot avoid;
 * (2) backup-code verification with the public tag (one Argon2id run) against scanning all ten
 *     hashes, the design it replaces;
 * (3) passkey sign-in (options + verification + counter update) against the raw P-256 ECDSA
 *     verification inside it.
 * SQLite and the in-process state store, real key-ring FieldProtector.
 */
import { createHash, createHmac, createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verify as argonVerify, hash as argonHash } from '@node-rs/argon2';

import { systemClock } from '../src/lib/clock/index.js';
import { createDatabase } from '../src/lib/db/index.js';
import { createSecurityEventBus } from '../src/lib/events/index.js';
import type { FieldProtector } from '../src/lib/protect/index.js';
import { createMemoryStateStore } from '../src/lib/state/index.js';
import {
  createBlindIndex, createKeyManager, createKyselyKeyRingStore, createLocalKekProvider, createSymmetricEncryption,
} from '../src/modules/crypto/index.js';
import { base32Decode, createMfaService, totp } from '../src/modules/mfa/index.js';
import { BACKUP_CODE_ARGON2 } from '../src/modules/mfa/backup-codes/backup-code-service.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';

import { createSoftAuthenticator } from '../test/support/webauthn-authenticator.js';

const RP = { rpId: 'q2.example', rpName: 'Q2', origins: ['https://q2.example'] };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed(n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<{ perSecond: number; p50: number; p99: number }> {
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  const total = performance.now() - start;
  samples.sort((a, b) => a - b);
  return { perSecond: n / (total / 1000), p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

const row = (name: string, r: { perSecond: number; p50: number; p99: number }, vs?: number) =>
  `| ${name} | ${Math.round(r.perSecond)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${vs === undefined ? '—' : `${((r.perSecond / vs) * 100).toFixed(1)}%`} |`;

export async function benchMfa(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'q2-bench-mfa-'));
  const db = await createDatabase(`sqlite:${path.join(dir, 'q2.db')}`);
  await db.migrate();
  const state = createMemoryStateStore({ clock: systemClock, maxKeys: 1_000_000 });
  const events = createSecurityEventBus({ clock: systemClock });
  const kek = createLocalKekProvider(randomBytes(32));
  const keyManager = createKeyManager({ store: createKyselyKeyRingStore(db.kysely), kek });
  const symmetric = createSymmetricEncryption({ keyManager, defaultKeyId: 'fields' });
  const blindIndex = createBlindIndex({ keyManager });
  const ctx = (c: { table: string; column: string; rowId: string }) => ({ context: { table: c.table, column: c.column, row: c.rowId } });
  const protector: FieldProtector = {
    encrypt: (p, c) => symmetric.encrypt(p, ctx(c)),
    decrypt: (p, c) => symmetric.decryptString(p, ctx(c)),
    blindIndex: (v, p) => blindIndex.compute(p, v),
    blindIndexCandidates: (v, p) => blindIndex.candidates(p, v),
  };
  const mfa = createMfaService({ db, state, clock: systemClock, events, protector, webauthn: RP, policy: { failures: { limit: 100 } } });
  const out: string[] = [];
  try {
    // (1) TOTP. Enrollment is confirmed in the table directly: confirming through the service
    // would also hash ten backup codes per user, which is not what this measures.
    const users = 2_000;
    const secrets: string[] = [];
    for (let i = 0; i < users; i++) secrets.push((await mfa.totp.beginEnrollment(`u${i}`, 'bench')).secret);
    await db.kysely.updateTable('mfa_totp').set({ confirmed_at: BigInt(Date.now()) }).execute();
    const params = { digits: 6, periodS: 30, algorithm: 'SHA1' as const };
    const codes = secrets.map((s) => totp(base32Decode(s)!, Date.now(), params));
    const key = randomBytes(20);
    const counter = Buffer.alloc(8);
    const raw = await timed(users, () => {
      for (let s = 0; s < 3; s++) createHmac('sha1', key).update(counter).digest();
    });
    const service = await timed(users, (i) => mfa.totp.verify(`u${i}`, codes[i]!));
    out.push('### TOTP verification', '', `${users} users, one verification each (every code accepted once).`, '',
      '| path | verifications/s (1 core) | p50 ms | p99 ms | vs raw |', '|---|---:|---:|---:|---:|',
      row('raw: 3 × HMAC-SHA1 (the ±1 step window)', raw), row('MfaService.totp.verify (read, decrypt, match, replay claim)', service, raw.perSecond), '');

    // (2) Backup codes: tag lookup (1 Argon2id) vs scanning all ten hashes.
    const codesOfUser = await mfa.backupCodes.regenerate('backup-user');
    const tenHashes = await Promise.all(Array.from({ length: 10 }, (_, i) => argonHash(`code-${i}`, BACKUP_CODE_ARGON2)));
    const regenerate = await timed(5, (i) => mfa.backupCodes.regenerate(`regen-${i}`));
    const tagged = await timed(10, (i) => mfa.backupCodes.verify('backup-user', codesOfUser[i]!));
    const single = await timed(10, () => argonVerify(tenHashes[0]!, 'not-one-of-them'));
    const scan = await timed(10, async () => {
      for (const h of tenHashes) await argonVerify(h, 'not-one-of-them');
    });
    out.push('### Backup codes (Argon2id m=19 MiB, t=2, p=1)', '',
      '| operation | per second | p50 ms | p99 ms | vs full scan |', '|---|---:|---:|---:|---:|',
      row('regenerate 10 codes (10 hashes, thread pool)', regenerate), row('raw: one Argon2id verify', single),
      row('baseline: verify by scanning 10 hashes', scan),
      row('MfaService.backupCodes.verify (tag lookup, 1 Argon2id, atomic spend)', tagged, scan.perSecond), '');

    // (3) Passkeys: full sign-in ceremony server side vs the raw signature check.
    const authenticator = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origins[0]! });
    await mfa.webauthn.verifyRegistration('passkey-user', authenticator.register(await mfa.webauthn.registrationOptions({ id: 'passkey-user', name: 'p' })));
    const n = 1_000;
    const prepared: AuthenticationResponseJSON[] = [];
    for (let i = 0; i < n; i++) {
      const options = await mfa.webauthn.authenticationOptions(`login-${i}`, 'passkey-user');
      prepared.push(authenticator.authenticate(options));
    }
    const credential = [...authenticator.credentials.values()][0]!;
    const publicKey = createPublicKey(credential.privateKey);
    const a = prepared[0]!;
    const signed = Buffer.concat([Buffer.from(a.response.authenticatorData, 'base64url'), createHash('sha256').update(Buffer.from(a.response.clientDataJSON, 'base64url')).digest()]);
    const sig = Buffer.from(a.response.signature, 'base64url');
    if (!verifySignature('sha256', signed, publicKey, sig)) throw new Error('baseline signature does not verify');
    const rawEcdsa = await timed(n, () => verifySignature('sha256', signed, publicKey, sig));
    const ceremony = await timed(n, (i) => mfa.webauthn.verifyAuthentication(`login-${i}`, prepared[i]));
    out.push('### Passkey sign-in (ES256)', '', 'Server side only; assertions are prepared beforehand by the software authenticator.', '',
      '| path | verifications/s (1 core) | p50 ms | p99 ms | vs raw |', '|---|---:|---:|---:|---:|',
      row('raw: one P-256 ECDSA verify', rawEcdsa), row('MfaService.webauthn.verifyAuthentication (challenge consume, checks, counter CAS)', ceremony, rawEcdsa.perSecond), '');
  } finally {
    await events.drain();
    await keyManager.close();
    await state.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return ['## MFA', '', ...out].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchMfa().then((md) => process.stdout.write(`${md}\n`), (e: unknown) => { console.error(e); process.exitCode = 1; });
}
