/**
 * Crash safety of `rewrap`: a child process rewrapping a SQLite table is killed with SIGKILL
 * midway; every field must still decrypt, and a rerun must finish the job.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { createDatabase } from '../../../lib/db/index.js';
import { createSymmetricEncryption } from '../envelope/symmetric-encryption.js';
import { createBlindIndex } from '../fields/blind-index.js';
import { createFieldCipher } from '../fields/field-cipher.js';
import { createLocalKekProvider } from '../kek/local.js';
import { createKeyManager } from '../keys/key-manager.js';
import { createKyselyKeyRingStore } from '../keys/kysely-store.js';
import { countFieldsWithPrefix, createTestUsersTable, seedTestUsers, testUsers } from '../testing/users-fixture.js';
import { REPO_ROOT } from '../testing/vectors.js';
import { createKyselyRewrapTarget } from './kysely-target.js';
import { rewrapFields } from './rewrap-fields.js';

const ROWS = 20_000;
const KILL_AFTER = 2_000;
const CHILD = fileURLToPath(new URL('../testing/rewrap-child.ts', import.meta.url));

/** Loads the TypeScript child through Vite's module runner (what vitest itself uses). */
const RUNNER = `
const [viteUrl, root, entry, ...args] = process.argv.slice(2);
const { createServer, createServerModuleRunner } = await import(viteUrl);
const server = await createServer({ root, configFile: false, logLevel: 'error', appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false, watch: null }, optimizeDeps: { noDiscovery: true, include: [] } });
const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
await (await runner.import(entry)).main(...args);
await runner.close();
await server.close();
`;

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function openRing(url: string, masterKey: Buffer) {
  const db = await createDatabase(url);
  const keyManager = createKeyManager({ store: createKyselyKeyRingStore(db.kysely), kek: createLocalKekProvider(masterKey) });
  const symmetric = createSymmetricEncryption({ keyManager });
  const fields = createFieldCipher({ symmetric, keyManager, blindIndex: createBlindIndex({ keyManager }) });
  return { db, keyManager, fields, users: createKyselyRewrapTarget(db.kysely, testUsers) };
}

describe('rewrap crash safety', () => {
  it('a rewrap killed with SIGKILL midway leaves every field readable, and a rerun completes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'q2-rewrap-crash-'));
    dirs.push(dir);
    const url = `sqlite:${join(dir, 'q2.db')}`;
    const masterKey = randomBytes(32);
    const keyFile = join(dir, 'master.key');
    await writeFile(keyFile, masterKey, { mode: 0o600 });
    const runner = join(dir, 'runner.mjs');
    await writeFile(runner, RUNNER);

    const seeded = await openRing(url, masterKey);
    await seeded.db.migrate();
    await createTestUsersTable(seeded.db.kysely);
    await seedTestUsers(seeded.db.kysely, seeded.fields, ROWS);
    await seeded.keyManager.rotate('pii');
    await seeded.db.close();

    const viteUrl = pathToFileURL(createRequire(join(REPO_ROOT, 'package.json')).resolve('vite')).href;
    const child = spawn(process.execPath, [runner, viteUrl, REPO_ROOT, CHILD, url, keyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let lastProgress = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      const match = /^progress (\d+)$/.exec(line);
      if (match) lastProgress = Number(match[1]);
      if (lastProgress >= KILL_AFTER) {
        child.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });

    const after = await openRing(url, masterKey);
    try {
      const stale = await countFieldsWithPrefix(after.db.kysely, 'q2:v1:pii:');
      const fresh = await countFieldsWithPrefix(after.db.kysely, 'q2:v2:pii:');
      // Killed midway: some rows moved, some not, and every field is one or the other.
      expect(fresh).toBeGreaterThanOrEqual(KILL_AFTER * 2);
      expect(stale).toBeGreaterThan(0);
      expect(stale + fresh).toBe(ROWS * 2);
      for (const row of await after.users.scan(undefined, ROWS)) await after.fields.decryptRow(testUsers, row);

      const rerun = await rewrapFields({ targets: [after.users], fieldCipher: after.fields, batchSize: 1000 });
      expect(rerun).toMatchObject({ complete: true, conflicts: 0, scanned: ROWS, rewritten: stale / 2 });
      expect(await countFieldsWithPrefix(after.db.kysely, 'q2:v1:pii:')).toBe(0);
      for (const row of await after.users.scan(undefined, ROWS)) await after.fields.decryptRow(testUsers, row);
    } finally {
      await after.db.close();
    }
  }, 120_000);
});
