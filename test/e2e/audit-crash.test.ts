/**
 * Crash safety of group commit: a writer process appending under load is killed with SIGKILL
 * (no shutdown hook, no final flush), on SQLite and PostgreSQL. Every entry it acknowledged
 * before dying must be in the database with the acknowledged leaf hash, the log must verify, and
 * a new writer must continue the same chain. The child is the built module (dist/), run by node.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { systemClock } from '../../src/lib/clock/index.js';
import { createDatabase } from '../../src/lib/db/index.js';
import { createAuditLogger } from '../../src/modules/audit/index.js';
import { databaseBackends, type ThrowawayDatabase } from '../support/backends.js';
import { buildCli, cleanEnv, ROOT } from '../support/cli.js';

beforeAll(() => buildCli(), 180_000);

const dist = (file: string) => pathToFileURL(path.join(ROOT, 'dist', file)).href;
const CHILD = `
  import { createSecretKey, createPrivateKey } from 'node:crypto';
  const { createDatabase } = await import(${JSON.stringify(dist('src/lib/db/index.js'))});
  const { createAuditLogger } = await import(${JSON.stringify(dist('src/modules/audit/index.js'))});
  const db = await createDatabase(process.env.AUDIT_DB);
  await db.migrate();
  const log = createAuditLogger({
    db, clock: { now: () => Date.now() }, signEveryMs: 25,
    pseudonymKey: createSecretKey(Buffer.from(process.env.AUDIT_PK, 'base64')),
    macKey: createSecretKey(Buffer.from(process.env.AUDIT_MK, 'base64')),
    signingKey: createPrivateKey(process.env.AUDIT_SK),
  });
  const inFlight = new Set();
  for (let n = 0; ; n++) {
    const p = log.append({ action: 'load.test', actor: 'user:' + (n % 10), outcome: 'success', ip: '192.0.2.' + (n % 200), details: { n } })
      .then((r) => { process.stdout.write('ack ' + r.seq + ' ' + r.leafHash + '\\n'); })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 256) await Promise.race(inFlight);
  }
`;

const backends = await databaseBackends();

describe.each(backends)('SIGKILL during appends on $name', (backend) => {
  let throwaway: ThrowawayDatabase;
  const keys = {
    pseudonymKey: randomBytes(32),
    macKey: randomBytes(32),
    signingKey: generateKeyPairSync('ed25519').privateKey,
  };

  beforeAll(async () => {
    throwaway = await backend.provision();
  });
  afterAll(async () => throwaway?.drop());

  it('loses no acknowledged entry, verifies after restart, and continues the chain', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({
        AUDIT_DB: throwaway.url,
        AUDIT_PK: keys.pseudonymKey.toString('base64'),
        AUDIT_MK: keys.macKey.toString('base64'),
        AUDIT_SK: keys.signingKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      }),
    });
    const acked = new Map<number, string>();
    let pending = '';
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no load after 60 s: ${stderr}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        pending += d.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const [, seq, hash] = line.split(' ');
          acked.set(Number(seq), hash!);
        }
        // Kill mid-stream, with hundreds of appends in flight and batches being written.
        if (acked.size >= 3_000 && child.exitCode === null && !child.killed) {
          clearTimeout(deadline);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`writer exited by itself: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const db = await createDatabase(throwaway.url);
    const log = createAuditLogger({ db, clock: systemClock, ...keys, signEveryMs: 0 });
    try {
      const report = await log.verify();
      expect(report).toMatchObject({ ok: true });
      const maxAcked = Math.max(...acked.keys());
      expect(report.entries).toBeGreaterThan(maxAcked);
      const stored = new Map<number, string>();
      for (let at = 0; at < report.entries; at += 5_000) {
        for (const e of await log.store.entries(at, 5_000)) stored.set(e.seq, e.leafHash.toString('hex'));
      }
      const lost = [...acked].filter(([seq, hash]) => stored.get(seq) !== hash);
      expect(lost).toEqual([]);
      expect(report.treeHeadsChecked).toBeGreaterThan(0);

      const { seq } = await log.append({ action: 'after.restart', actor: 'system', outcome: 'info' });
      expect(seq).toBe(report.entries);
      await log.signTreeHead();
      expect(await log.verify()).toMatchObject({ ok: true, entries: report.entries + 1 });
    } finally {
      await log.close();
      await db.close();
    }
  }, 120_000);
});

