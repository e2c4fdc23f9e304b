/**
 * Incident response (SPEC §7): opening (by hand or from alerts, deduplicated per rule and
 * group), containment actions through the owning capabilities, lifecycle transitions with
 * compare-and-set, and the forensic timeline. Every step is stored and emitted as a security
 * event (`incident.*`), so the audit log holds it too.
 */
import type { Clock } from '../../lib/clock/index.js';
import { AppError, isAppError } from '../../lib/errors/index.js';
import type { SecurityEventBus } from '../../lib/events/index.js';
import type { AuditLogger } from '../audit/index.js';
import type { AlertStore, EventSummary, Severity } from '../detection/index.js';
import { parseTarget, runContainment, type ContainmentPorts } from './containment.js';
import { acceptsActions, checkTransition, statusAfterAction, type IncidentStatus } from './lifecycle.js';
import type { IncidentMetrics } from './metrics.js';
import { dedupKey, detectedAtOf, plannedContainment, shouldOpen, type AlertFacts, type AutoContainmentPolicy, type ContainmentAction } from './policy.js';
import type { IncidentQuery, IncidentStore, StatusPatch } from './store.js';
import { buildTimeline, type Timeline } from './timeline.js';
import type { ActorContext, Incident, IncidentStep } from './types.js';

export interface IncidentServiceDeps {
  store: IncidentStore;
  alerts: AlertStore;
  ports: ContainmentPorts;
  audit: AuditLogger;
  events: SecurityEventBus;
  clock: Clock;
  metrics: IncidentMetrics;
  autoOpenSeverity: Severity;
  autoContainment: AutoContainmentPolicy;
  /** Addresses never blocked automatically (loopback, trusted proxies). */
  isProtectedIp(ip: string): boolean;
}

const notFound = (): never => {
  throw new AppError('INCIDENT_NOT_FOUND', 'No incident has this id.');
};

export function createIncidentService(deps: IncidentServiceDeps) {
  const { store, alerts, events, clock, metrics } = deps;

  async function step(incident: Pick<Incident, 'id'>, ctx: ActorContext, input: Omit<IncidentStep, 'id' | 'incidentId' | 'at' | 'actor'>): Promise<IncidentStep> {
    const saved = await store.addStep({ incidentId: incident.id, at: clock.now(), actor: ctx.actor, ...input });
    events.emit({
      type: `incident.${input.kind}`, actor: ctx.actor, target: incident.id,
      outcome: input.result === 'skipped' ? 'info' : input.result, ip: ctx.ip, requestId: ctx.requestId,
      details: { what: input.what, stepTarget: input.target, ...input.details },
    });
    return saved;
  }

  async function load(id: string): Promise<Incident> {
    return (await store.get(id)) ?? notFound();
  }

  async function evidenceOf(alertIds: readonly string[]): Promise<EventSummary[]> {
    const found = await Promise.all(alertIds.map((id) => alerts.get(id)));
    return found.flatMap((alert) => alert?.events ?? []);
  }

  /** The first containment of an incident stamps contained_at (once) and moves detected → contained. */
  async function afterContainment(incident: Incident, ctx: ActorContext): Promise<void> {
    const now = clock.now();
    if (incident.containedAt === null && await store.stampContained(incident.id, now)) metrics.observe('contain', now - incident.detectedAt);
    const to = statusAfterAction(incident.status);
    // Lost to a concurrent transition: the other writer's status stands.
    if (to !== incident.status && await store.setStatus(incident.id, incident.status, to, {}, now)) {
      await step(incident, ctx, { kind: 'transition', what: `${incident.status}->${to}`, target: null, result: 'success', details: { cause: 'containment' } });
    }
  }

  async function contain(incident: Incident, action: ContainmentAction, target: string, ttlMs: number | undefined, ctx: ActorContext): Promise<IncidentStep> {
    if (!acceptsActions(incident.status)) throw new AppError('INCIDENT_CLOSED', 'The incident is closed; open a new one.');
    const parsed = parseTarget(action, target, ttlMs);
    let outcome: Record<string, unknown>;
    try {
      outcome = await runContainment(deps.ports, parsed, incident.id, ctx);
    } catch (error) {
      // Refused input (unknown user, self-block) changed nothing and is answered as such; a
      // failure of the owning capability is a step of its own: responders must see it.
      if (isAppError(error) && error.status < 500) throw error;
      await step(incident, ctx, { kind: 'action', what: action, target, result: 'failure', details: { error: isAppError(error) ? error.code : 'INTERNAL_ERROR' } });
      throw error;
    }
    const saved = await step(incident, ctx, { kind: 'action', what: action, target, result: 'success', details: outcome });
    await afterContainment(incident, ctx);
    return saved;
  }

  /** A block of this address by this incident still in force: a storm's repeats add no rules. */
  async function blockInForce(incidentId: string, target: string): Promise<boolean> {
    const now = clock.now();
    const parsed = parseTarget('block-ip', target, undefined);
    const cidr = parsed.action === 'block-ip' ? parsed.cidr : null;
    return (await store.steps(incidentId)).some((s) => s.kind === 'action' && s.what === 'block-ip' && s.result === 'success'
      && s.details.cidr === cidr && (s.details.expiresAt === null || Number(s.details.expiresAt) > now));
  }

  async function autoContain(incident: Incident, alert: AlertFacts): Promise<void> {
    const ctx: ActorContext = { actor: 'system', ip: null, requestId: null };
    for (const planned of plannedContainment(alert, deps.autoContainment, deps.isProtectedIp)) {
      const current = await load(incident.id);
      if (planned.kind === 'skip') {
        await step(current, ctx, { kind: 'action', what: planned.action, target: planned.target, result: 'skipped', details: { reason: planned.reason, alertId: alert.id } });
        continue;
      }
      if (planned.action === 'block-ip' && await blockInForce(current.id, planned.target)) {
        await step(current, ctx, { kind: 'action', what: planned.action, target: planned.target, result: 'skipped', details: { reason: 'already blocked by this incident', alertId: alert.id } });
        continue;
      }
      try {
        await contain(current, planned.action, planned.target, planned.ttlMs, ctx);
      } catch (error) {
        // Automatic containment never throws into the bus: a refusal is recorded for the responder.
        if (isAppError(error) && error.status < 500) {
          await step(current, ctx, { kind: 'action', what: planned.action, target: planned.target, result: 'failure', details: { error: error.code, alertId: alert.id } });
        } else {
          throw error;
        }
      }
    }
  }

  return {
    /** Opens an incident by hand; `alertIds` (optional) date it and feed its timeline. */
    async open(input: { title: string; severity: Severity; alertIds?: string[] }, ctx: ActorContext): Promise<Incident> {
      const alertIds = [...new Set(input.alertIds ?? [])];
      const found = await Promise.all(alertIds.map((id) => alerts.get(id)));
      if (found.some((a) => a === null)) throw new AppError('ALERT_NOT_FOUND', 'An alertIds entry names no alert.');
      const now = clock.now();
      const detectedAt = detectedAtOf(found.flatMap((a) => a?.events ?? []), now);
      const first = found[0];
      const id = await store.open(
        { title: input.title, severity: input.severity, openedBy: ctx.actor, alertId: alertIds[0] ?? null, detectedAt, openedAt: now },
        first ? dedupKey(first.ruleId, first.groupKey) : null,
      );
      for (const alertId of alertIds.slice(1)) await store.addStep({ incidentId: id, at: now, actor: ctx.actor, kind: 'alert', what: 'alert-joined', target: alertId, result: 'info', details: {} });
      metrics.observe('detect', now - detectedAt);
      events.emit({ type: 'incident.opened', actor: ctx.actor, target: id, outcome: 'success', ip: ctx.ip, requestId: ctx.requestId, details: { severity: input.severity, alerts: alertIds.length, auto: false } });
      return load(id);
    },

    /**
     * `alert.raised` (from this replica's detection: the detector raises each alert once per
     * cluster). Opens or joins the incident of its (rule, group), then applies the policy.
     */
    async onAlertRaised(alertId: string): Promise<{ incidentId: string; joined: boolean } | null> {
      const alert = await alerts.get(alertId);
      if (alert === null) return null;
      const now = clock.now();
      const key = dedupKey(alert.ruleId, alert.groupKey);
      const detectedAt = detectedAtOf(alert.events, now);
      let result: { incidentId: string; joined: boolean };
      if (shouldOpen(alert.severity, deps.autoOpenSeverity)) {
        result = await store.openOrJoin({ title: alert.title, severity: alert.severity, openedBy: 'system', alertId: alert.id, detectedAt, openedAt: now }, key);
      } else {
        // Below the threshold an alert opens nothing, but joins an incident already open for its pair.
        const joined = await store.joinIfOpen({ alertId: alert.id, severity: alert.severity, openedAt: now }, key);
        if (joined === null) return null;
        result = { incidentId: joined, joined: true };
      }
      if (result.joined) {
        events.emit({ type: 'incident.alert', actor: 'system', target: result.incidentId, outcome: 'info', details: { what: 'alert-joined', alertId: alert.id, ruleId: alert.ruleId } });
      } else {
        metrics.observe('detect', now - detectedAt);
        events.emit({ type: 'incident.opened', actor: 'system', target: result.incidentId, outcome: 'success', details: { severity: alert.severity, alertId: alert.id, ruleId: alert.ruleId, auto: true } });
      }
      await autoContain(await load(result.incidentId), alert);
      return result;
    },

    async act(id: string, action: ContainmentAction, target: string, ttlMs: number | undefined, ctx: ActorContext): Promise<{ incident: Incident; step: IncidentStep }> {
      const saved = await contain(await load(id), action, target, ttlMs, ctx);
      return { incident: await load(id), step: saved };
    },

    async transition(id: string, to: IncidentStatus, input: { note?: string; lessonsLearned?: string }, ctx: ActorContext): Promise<Incident> {
      const incident = await load(id);
      const verdict = checkTransition(incident.status, to, input.lessonsLearned);
      if (!verdict.ok) throw new AppError(verdict.code, verdict.reason, { extensions: { from: incident.status, to } });
      const now = clock.now();
      const patch: StatusPatch = {
        ...(to === 'contained' && incident.containedAt === null ? { containedAt: now } : {}),
        ...(to === 'recovered' ? { recoveredAt: now } : {}),
        ...(to === 'closed' ? { closedAt: now, lessonsLearned: (input.lessonsLearned ?? '').trim() } : {}),
      };
      if (!(await store.setStatus(id, incident.status, to, patch, now))) {
        throw new AppError('INCIDENT_STATUS_CONFLICT', 'The incident changed while you were deciding; reload it and retry.');
      }
      if (patch.containedAt !== undefined) metrics.observe('contain', now - incident.detectedAt);
      if (to === 'closed') metrics.observe('close', now - incident.detectedAt);
      await step(incident, ctx, { kind: 'transition', what: `${incident.status}->${to}`, target: null, result: 'success', details: input.note ? { note: input.note } : {} });
      return load(id);
    },

    async get(id: string): Promise<{ incident: Incident; steps: IncidentStep[] }> {
      const incident = await load(id);
      return { incident, steps: await store.steps(id) };
    },

    list: (query: IncidentQuery) => store.list(query),

    async timeline(id: string): Promise<Timeline> {
      const incident = await load(id);
      const steps = await store.steps(id);
      return buildTimeline({ audit: deps.audit, incident, steps, evidence: await evidenceOf(incident.sourceAlertIds), now: clock.now() });
    },
  };
}

export type IncidentService = ReturnType<typeof createIncidentService>;
