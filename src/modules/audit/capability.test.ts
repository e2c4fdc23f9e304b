/**
 * The capability wiring: bus events become entries, shutdown drains the bus before the last
 * commit, a log that cannot be signed raises one `audit.integrity_failed` event, metrics are
 * exported, and keys come from the key ring (pinned version, same keys for every replica).
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../lib/clock/index.js';
import { loadConfig } from '../../lib/config/index.js';
import { createDatabase, type Database } from '../../lib/db/index.js';
import { createSecurityEventBus, type SecurityEvent } from '../../lib/events/index.js';
import { createLogger } from '../../lib/log/index.js';
import type { PlatformCore } from '../../server/capability.js';
import { createAuditCapability } from './capability.js';
import { AUDIT_KEY_ID, AUDIT_KEY_VERSION, auditKeysFromKeyManager, generateAuditKeys } from './keys/audit-keys.js';
import type { Scheduler } from './log/audit-logger.js';

let dir: string;
let db: Database;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'q2-audit-cap-'));
  db = await createDatabase(`sqlite:${join(dir, 'q2.db')}`);
  await db.migrate();
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

function core(): PlatformCore & { seen: SecurityEvent[] } {
  const clock = createManualClock();
  const events = createSecurityEventBus({ clock });
  const seen: SecurityEvent[] = [];
  events.subscribe('observer', (e) => { seen.push(e); });
  return {
    config: loadConfig({ Q2_DATA_DIR: dir }, dir), clock, logger: createLogger('silent'), db, events, metrics: new Registry(), seen,
    state: undefined as unknown as PlatformCore['state'], crypto: undefined as unknown as PlatformCore['crypto'],
  };
}

describe('createAuditCapability', () => {
  it('records bus events, drains the bus on close, and exports metrics', async () => {
    const c = core();
    const audit = await createAuditCapability(c, { keys: generateAuditKeys(), signEveryMs: 0 });
    expect(audit.routes).toHaveLength(1);
    for (let i = 0; i < 20; i++) c.events.emit({ type: 'auth.login', actor: `user:${i}`, outcome: 'success', details: { i } });
    await audit.close!(); // without an explicit drain: close must deliver what is queued first
    const page = await audit.logger.search({ action: 'auth.login', limit: 100, order: 'asc' });
    expect(page.entries).toHaveLength(20);
    expect(await c.metrics.getSingleMetricAsString('q2_audit_entries_total')).toMatch(/q2_audit_entries_total 20/);
    expect((await audit.logger.latestTreeHead())?.treeSize).toBe(20);
  });

  it('raises one audit.integrity_failed event when the log cannot be signed, however often signing retries', async () => {
    const c = core();
    const tasks: (() => Promise<void>)[] = [];
    const scheduler: Scheduler = (task) => { tasks.push(task); return () => undefined; };
    const keys = generateAuditKeys(); // not the keys the entries above were written with
    const audit = await createAuditCapability(c, { keys, scheduler, signEveryMs: 1 });
    await audit.logger.append({ action: 'x', actor: 'system', outcome: 'info' });
    await db.kysely.deleteFrom('audit_tree_heads').execute();
    for (let i = 0; i < 3; i++) await tasks[0]!();
    await c.events.drain();
    const alerts = c.seen.filter((e) => e.type === 'audit.integrity_failed');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ actor: 'system', outcome: 'failure' });
    await audit.close!();
  });
});

describe('auditKeysFromKeyManager', () => {
  function fakeKeyManager() {
    const root = randomBytes(32);
    const calls: [string, string, number | undefined][] = [];
    return {
      calls,
      async deriveKey(keyId: string, purpose: string, version?: number): Promise<{ version: number; key: KeyObject }> {
        calls.push([keyId, purpose, version]);
        const material = Buffer.concat([root, Buffer.from(`${keyId}/${purpose}/${version ?? 1}`)]);
        return { version: version ?? 1, key: createSecretKey((await import('node:crypto')).createHash('sha256').update(material).digest()) };
      },
    };
  }

  it('derives three distinct keys from pinned version 1 of key `audit`, the same on every call', async () => {
    const km = fakeKeyManager();
    const a = await auditKeysFromKeyManager(km);
    const b = await auditKeysFromKeyManager(km);
    expect(a.signingKey.asymmetricKeyType).toBe('ed25519');
    expect(a.signingKey.export({ format: 'pem', type: 'pkcs8' })).toEqual(b.signingKey.export({ format: 'pem', type: 'pkcs8' }));
    expect(a.macKey.export().equals(b.macKey.export())).toBe(true);
    expect(a.macKey.export().equals(a.pseudonymKey.export())).toBe(false);
    const pinned = km.calls.filter(([, , v]) => v !== undefined);
    expect(pinned.every(([id, , v]) => id === AUDIT_KEY_ID && v === AUDIT_KEY_VERSION)).toBe(true);
    expect(new Set(pinned.map(([, purpose]) => purpose)).size).toBe(3);
  });
});
