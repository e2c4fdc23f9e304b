import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';

import { afterAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../lib/clock/index.js';
import { createDatabase } from '../../lib/db/index.js';
import {
  createBlindIndex,
  createFieldCipher,
  createKeyManager,
  createKyselyKeyRingStore,
  createKyselyRewrapTarget,
  createLocalKekProvider,
  createSymmetricEncryption,
} from '../../modules/crypto/index.js';
import { countFieldsWithPrefix, createTestUsersTable, seedTestUsers, testUsers } from '../../modules/crypto/testing/users-fixture.js';
import { createThrowawaySqlite } from '../../../test/support/backends.js';
import type { CliIo } from '../types.js';
import { createKeysCommand, type KeysCommandDeps } from './keys.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

function captureIo(tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = Object.assign(new PassThrough(), { isTTY: false });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const io: CliIo = { stdout, stderr, stdin: new PassThrough(), env: {} };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

async function setup(rows = 50) {
  const target = await createThrowawaySqlite();
  const db = await createDatabase(target.url);
  cleanups.push(async () => {
    await db.close();
    await target.drop();
  });
  await db.migrate();
  await createTestUsersTable(db.kysely);
  const clock = createManualClock();
  const kek = createLocalKekProvider(randomBytes(32));
  const keyManager = createKeyManager({ store: createKyselyKeyRingStore(db.kysely), kek, clock });
  const symmetric = createSymmetricEncryption({ keyManager });
  const fieldCipher = createFieldCipher({ symmetric, keyManager, blindIndex: createBlindIndex({ keyManager }) });
  await seedTestUsers(db.kysely, fieldCipher, rows);
  let closed = 0;
  const deps: KeysCommandDeps = {
    keyManager,
    kek,
    fieldCipher,
    rewrapTargets: [createKyselyRewrapTarget(db.kysely, testUsers)],
    clock,
    close: async () => {
      closed += 1;
    },
  };
  return { db, clock, keyManager, command: createKeysCommand(async () => deps), closed: () => closed };
}

describe('q2 keys', () => {
  it('status lists versions, states, usage, age and KEK, as text and JSON', async () => {
    const { command, clock, closed } = await setup();
    clock.advance(3 * 24 * 3600_000);
    const text = captureIo();
    expect(await command.run(['status'], text.io)).toBe(0);
    expect(text.out()).toMatch(/^current KEK: local local:[0-9a-f]{16} \(v1\)\n/);
    expect(text.out()).toMatch(/KEY\s+VERSION\s+STATE\s+USES\s+AGE\s+KEK/);
    expect(text.out()).toMatch(/pii\s+v1\s+active\s+1000\s+3d\s+local:/);
    const json = captureIo();
    expect(await command.run(['status', '--json'], json.io)).toBe(0);
    const parsed = JSON.parse(json.out()) as { keys: { keyId: string }[] };
    expect(parsed.keys.map((k) => k.keyId).sort()).toEqual(['blind-index', 'pii']);
    expect(closed()).toBe(2);
  });

  it('rotate names keys, or takes --all / --due; --kek needs a provider that can rotate', async () => {
    const { command } = await setup();
    const one = captureIo();
    expect(await command.run(['rotate', 'pii'], one.io)).toBe(0);
    expect(one.out()).toContain('pii: rotated to v2');
    const all = captureIo();
    expect(await command.run(['rotate', '--all'], all.io)).toBe(0);
    expect(all.out()).toContain('pii: rotated to v3');
    expect(all.out()).toContain('blind-index: rotated to v2');
    const due = captureIo();
    expect(await command.run(['rotate', '--due'], due.io)).toBe(0);
    expect(due.out()).toContain('no key is due');
    const none = captureIo();
    expect(await command.run(['rotate'], none.io)).toBe(2);
    const kek = captureIo();
    expect(await command.run(['rotate', '--kek'], kek.io)).toBe(1);
    expect(kek.err()).toContain('cannot rotate');
  });

  it('rewrap moves every field forward with a progress bar on a TTY, and --retire retires old versions once safe', async () => {
    const { command, db, clock } = await setup(120);
    await command.run(['rotate', 'pii'], captureIo().io);
    const early = captureIo(true);
    expect(await command.run(['rewrap', '--retire', '--batch-size', '50'], early.io)).toBe(0);
    expect(early.err()).toContain('\r[');
    expect(early.err()).toContain('100% test_users 120/120');
    expect(early.out()).toContain('120 rows scanned, 120 rewrapped');
    expect(early.out()).toContain('pii: older versions were demoted too recently');
    expect(await countFieldsWithPrefix(db.kysely, 'q2:v1:pii:')).toBe(0);

    clock.advance(10 * 60_000);
    const later = captureIo();
    expect(await command.run(['rewrap', '--retire'], later.io)).toBe(0);
    expect(later.out()).toContain('0 rewrapped');
    expect(later.out()).toContain('pii: versions below v2 retired');
    const status = captureIo();
    await command.run(['status'], status.io);
    expect(status.out()).toMatch(/pii\s+v1\s+retired/);
  });

  it('fails with a one-line coded reason and exit 1 on errors, 2 on usage errors', async () => {
    const { command } = await setup(1);
    const unknown = captureIo();
    expect(await command.run(['rotate', 'no-such-key'], unknown.io)).toBe(1);
    expect(unknown.err()).toMatch(/^q2 keys: CRYPTO_KEY_UNKNOWN: .+\n$/);
    const usage = captureIo();
    expect(await command.run(['explode'], usage.io)).toBe(2);
    expect(await command.run(['status', '--bogus'], usage.io)).toBe(2);
    const broken = createKeysCommand(async () => {
      throw new Error('database unreachable');
    });
    const io = captureIo();
    expect(await broken.run(['status'], io.io)).toBe(1);
    expect(io.err()).toBe('q2 keys: database unreachable\n');
  });
});
