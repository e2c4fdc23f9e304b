/**
 * Behavioural baselines kept in the shared StateStore (one JSON profile per user, updated by
 * compare-and-swap, so replicas learn together): each successful login and each withdrawal
 * request is scored against the user's profile, then learnt. Returns an anomaly when the score
 * reaches the policy's threshold; the capability emits it as `detection.anomaly`.
 *
 * State key: det:b:<hashed user id>, TTL `profileTtlMs` refreshed on every observation.
 */
import { createHash } from 'node:crypto';

import type { SecurityEvent } from '../../../lib/events/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import { updateJson } from '../engine/cas-update.js';
import type { GeoLocator } from '../geo/locator.js';
import { DEFAULT_BASELINE_POLICY, emptyProfile, learn, scoreObservation, type BaselinePolicy, type Observation, type Profile } from './profile.js';

export interface Anomaly {
  userId: string;
  score: number;
  reasons: string[];
  /** `high` from the policy's alert threshold on. */
  level: 'elevated' | 'high';
}

export interface Baselines {
  observe(event: SecurityEvent): Promise<Anomaly | null>;
}

const PROFILE_TTL_MS = 180 * 24 * 60 * 60_000;

/** The user and what the event says about their behaviour, if it is an event baselines learn from. */
function observationOf(event: SecurityEvent, geo: GeoLocator | undefined): { userId: string; obs: Observation } | null {
  if (event.type === 'auth.login' && event.outcome === 'success' && event.actor !== 'anonymous') {
    const country = event.ip ? geo?.locate(event.ip)?.country ?? null : null;
    const device = typeof event.details.device === 'string' ? event.details.device : null;
    return { userId: event.actor, obs: { kind: 'login', hour: new Date(event.time).getUTCHours(), country, device } };
  }
  // Trading emits no event per accepted order; withdrawal requests carry the user and a decimal amount.
  if (event.type === 'withdrawal.requested' && event.outcome === 'success' && typeof event.details.userId === 'string') {
    const amount = Number(event.details.amount);
    if (!Number.isFinite(amount) || amount <= 0) return null;
    return { userId: event.details.userId, obs: { kind: 'amount', amount } };
  }
  return null;
}

export function createBaselines(deps: { state: StateStore; geo?: GeoLocator; policy?: BaselinePolicy; profileTtlMs?: number }): Baselines {
  const policy = deps.policy ?? DEFAULT_BASELINE_POLICY;
  const ttl = deps.profileTtlMs ?? PROFILE_TTL_MS;
  return {
    async observe(event) {
      const found = observationOf(event, deps.geo);
      if (!found) return null;
      const key = `det:b:${createHash('sha256').update(found.userId).digest('base64url').slice(0, 22)}`;
      // Score against the profile this update replaced: exactly what the user had shown before.
      const result = await updateJson<Profile>(deps.state, key, ttl, (previous) => learn(previous ?? emptyProfile(), found.obs, policy));
      if (!result?.previous) return null;
      const scored = scoreObservation(result.previous, found.obs, policy);
      if (!scored || scored.score < policy.anomalyThreshold) return null;
      return { userId: found.userId, ...scored, level: scored.score >= policy.alertThreshold ? 'high' : 'elevated' };
    },
  };
}
