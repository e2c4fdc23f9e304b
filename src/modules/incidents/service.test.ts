/**
 * The incident service on a real database (SQLite and PostgreSQL): two responders who both read
 * the incident before either writes — exactly one transition lands and the other gets
 * INCIDENT_STATUS_CONFLICT with one transition step recorded; the first containment action
 * stamps containedAt once and moves detected → contained; a refused action records nothing.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { databaseBackends, type ThrowawayDatabase } from '../../../test/support/backends.js';
import { createManualClock } from '../../lib/clock/index.js';
import { createDatabase, type Database } from '../../lib/db/index.js';
import { createSecurityEventBus, type SecurityEvent } from '../../lib/events/index.js';
import type { AuditLogger } from '../audit/index.js';
import { createAlertStore } from '../detection/index.js';
import type { ContainmentPorts } from './containment.js';
import { createIncidentMetrics } from './metrics.js';
import { createIncidentService, type IncidentService } from './service.js';
import { createIncidentStore, type IncidentStore } from './store.js';

const admin = (actor: string) => ({ actor, ip: '198.51.100.1', requestId: null });

describe.each(await databaseBackends())('incident service on $name', (backend) => {
  const clock = createManualClock(Date.UTC(2026, 11, 4, 12));
  const events: SecurityEvent[] = [];
  const revoked: string[] = [];
  let throwaway: ThrowawayDatabase;
  let db: Database;
  let store: IncidentStore;
  let service: IncidentService;
  /** When set, setStatus holds every caller until `expected` callers arrived: all have read before any writes. */
  let barrier: { expected: number; arrived: number; open: () => void; opened: Promise<void> } | null = null;
  let drain: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    throwaway = await backend.provision();
    db = await createDatabase(throwaway.url);
    await db.migrate();
    const real = createIncidentStore(db.kysely);
    store = {
      ...real,
      async setStatus(...args) {
        if (barrier) {
          barrier.arrived++;
          if (barrier.arrived === barrier.expected) barrier.open();
          await barrier.opened;
        }
        return real.setStatus(...args);
      },
    };
    const bus = createSecurityEventBus({ clock });
    drain = () => bus.drain();
    bus.subscribe('test', (e) => { events.push(e); });
    const ports: ContainmentPorts = {
      userExists: async (id) => id === 'known-user',
      lockAccount: async () => undefined,
      revokeSessions: async (id) => { revoked.push(id); return 1; },
      revokeApiKeys: async () => 0,
      blockIp: async () => ({ ruleId: 'r', expiresAt: null }),
      killSwitch: async () => ({ cancelledOrders: 0 }),
    };
    service = createIncidentService({
      store, alerts: createAlertStore(db), ports, audit: {} as AuditLogger, events: bus, clock,
      metrics: createIncidentMetrics(new Registry(), () => real.countOpen(), () => undefined),
      autoOpenSeverity: 'high', autoContainment: {}, isProtectedIp: () => false,
    });
  });
  afterAll(async () => {
    await db?.close();
    await throwaway?.drop();
  });

  it('lets exactly one of two responders who read the same status win; the other gets INCIDENT_STATUS_CONFLICT', async () => {
    const incident = await service.open({ title: 'race', severity: 'high' }, admin('opener'));
    let open!: () => void;
    const opened = new Promise<void>((resolve) => { open = resolve; });
    barrier = { expected: 2, arrived: 0, open, opened };
    const racing = [
      service.transition(incident.id, 'investigating', {}, admin('a')).then(() => 'won', (e: { code?: string }) => e.code),
      service.transition(incident.id, 'contained', {}, admin('b')).then(() => 'won', (e: { code?: string }) => e.code),
    ];
    const outcomes = await Promise.all(racing);
    barrier = null;
    expect(outcomes.sort()).toEqual(['INCIDENT_STATUS_CONFLICT', 'won']);
    const { steps } = await service.get(incident.id);
    expect(steps.filter((s) => s.kind === 'transition')).toHaveLength(1);
  });

  it('stamps containedAt once on the first action and moves detected to contained; a refused action records nothing', async () => {
    const incident = await service.open({ title: 'contain', severity: 'critical' }, admin('opener'));
    await expect(service.act(incident.id, 'revoke-sessions', 'ghost', undefined, admin('a'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await service.get(incident.id)).steps).toHaveLength(1);
    const t1 = clock.now();
    const first = await service.act(incident.id, 'revoke-sessions', 'known-user', undefined, admin('a'));
    expect(first.incident).toMatchObject({ status: 'contained', containedAt: t1 });
    clock.advance(60_000);
    const second = await service.act(incident.id, 'revoke-sessions', 'known-user', undefined, admin('b'));
    expect(second.incident.containedAt).toBe(t1);
    expect(revoked).toEqual(['known-user', 'known-user']);
    const { steps } = await service.get(incident.id);
    await drain();
    expect(steps.map((s) => `${s.kind}:${s.what}`)).toEqual(['opened:opened', 'action:revoke-sessions', 'transition:detected->contained', 'action:revoke-sessions']);
    expect(events.filter((e) => e.target === incident.id).map((e) => e.type)).toEqual(['incident.opened', 'incident.action', 'incident.transition', 'incident.action']);
  });
});
