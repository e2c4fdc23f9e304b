/**
 * Incidents across replicas (docs/incidents.md "Replicas"): two platforms on one database and
 * one shared state (PostgreSQL + Redis; SQLite + memory as a single-file baseline). Alerts of
 * one (rule, group) handled on both replicas at once open exactly one incident; two responders
 * moving one incident from the same status at once: exactly one compare-and-set lands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createManualClock } from '../../src/lib/clock/index.js';
import type { DetectionCapability } from '../../src/modules/detection/index.js';
import { DEFAULT_RULES } from '../../src/modules/detection/index.js';
import type { IncidentsCapability } from '../../src/modules/incidents/index.js';
import { createIncidentStore } from '../../src/modules/incidents/store.js';
import { databaseBackends, testRedisUrl, type ThrowawayDatabase } from '../support/backends.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const backends = await databaseBackends();
const redisUrl = await testRedisUrl();
const rule = DEFAULT_RULES.find((r) => r.id === 'credential-stuffing')!;

describe.each(backends)('incidents on two replicas ($name)', (backend) => {
  const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
  let database: ThrowawayDatabase;
  let replicas: TestPlatform[] = [];

  beforeAll(async () => {
    database = await backend.provision();
    const env = { Q2_DATABASE_URL: database.url, ...(backend.name === 'postgres' && redisUrl ? { Q2_REDIS_URL: redisUrl } : {}) };
    // Containment is exercised by the attack suite; here only opening and transitions race.
    const options = { clock, capabilities: { incidents: { autoContainment: {} } } };
    const first = await startTestPlatform(env, options);
    // One master key for both, as replicas of one deployment share their KEK.
    replicas = backend.name === 'postgres'
      ? [first, await startTestPlatform({ ...env, Q2_MASTER_KEY_FILE: `${first.dataDir}/master.key`, Q2_TLS_CERT: `${first.dataDir}/tls/cert.pem`, Q2_TLS_KEY: `${first.dataDir}/tls/key.pem` }, options)]
      : [first];
  });
  afterAll(async () => {
    // The first replica owns the data directory (master key) the second reads: stopped last.
    for (const replica of [...replicas].reverse()) await replica.stop();
    await database?.drop();
  });

  const capability = <T>(replica: TestPlatform, name: string) => replica.capabilities.find((c) => c.name === name) as T;

  it('opens exactly one incident when alerts of one (rule, group) are handled concurrently on every replica', async () => {
    const group = '203.0.113.150';
    const hits = [];
    for (let i = 0; i < 6; i++) {
      const replica = replicas[i % replicas.length]!;
      const alert = await capability<DetectionCapability>(replica, 'detection').alerts.insert({ rule, groupKey: group, events: [] }, clock.now());
      hits.push(() => capability<IncidentsCapability>(replica, 'incidents').incidents.onAlertRaised(alert.id));
    }
    const results = await Promise.all(hits.map((hit) => hit()));
    const ids = new Set(results.map((r) => r?.incidentId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r?.joined === false)).toHaveLength(1);
    const incident = await capability<IncidentsCapability>(replicas[0]!, 'incidents').incidents.get(results[0]!.incidentId);
    expect(incident.incident.sourceAlertIds).toHaveLength(6);
  });

  it('lets exactly one of concurrent compare-and-set transitions from the same status land', async () => {
    const service = capability<IncidentsCapability>(replicas[0]!, 'incidents').incidents;
    const incident = await service.open({ title: 'race', severity: 'high' }, { actor: 'a', ip: null, requestId: null });
    const stores = replicas.map((r) => createIncidentStore(r.db.kysely));
    const attempts = await Promise.all([
      stores[0]!.setStatus(incident.id, 'detected', 'investigating', {}, clock.now()),
      stores[stores.length - 1]!.setStatus(incident.id, 'detected', 'contained', { containedAt: clock.now() }, clock.now()),
      stores[0]!.setStatus(incident.id, 'detected', 'closed', { closedAt: clock.now(), lessonsLearned: 'x' }, clock.now()),
    ]);
    expect(attempts.filter(Boolean)).toHaveLength(1);
    const after = (await service.get(incident.id)).incident;
    expect(['investigating', 'contained', 'closed'][attempts.indexOf(true)]).toBe(after.status);
  });
});
