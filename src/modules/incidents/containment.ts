/**
 * Containment actions (SPEC §7) carried out through the capabilities that own them: identity
 * (lock account, revoke sessions and refresh tokens), API keys (revoke all), network (block an
 * IP or CIDR on every replica) and trading (kill switch). Targets are parsed here, before
 * anything runs, so bad input changes nothing.
 */
import { AppError } from '../../lib/errors/index.js';
import { parseCidr, refuseSelfBlock } from '../network/index.js';
import type { ContainmentAction } from './policy.js';
import type { ActorContext } from './types.js';

export type KillScope = 'global' | 'user' | 'symbol';

/** What each owning capability does; wired in capability.ts. */
export interface ContainmentPorts {
  userExists(userId: string): Promise<boolean>;
  lockAccount(userId: string, ctx: ActorContext): Promise<void>;
  /** Returns the number of sessions revoked. */
  revokeSessions(userId: string, reason: string): Promise<number>;
  /** Returns the number of keys revoked. */
  revokeApiKeys(userId: string, ctx: ActorContext, reason: string): Promise<number>;
  blockIp(cidr: string, options: { reason: string; ttlMs: number; actor: string; requestId: string | null }): Promise<{ ruleId: string; expiresAt: number | null }>;
  killSwitch(scope: KillScope, target: string | undefined, reason: string, ctx: ActorContext): Promise<{ cancelledOrders: number }>;
}

export type ParsedTarget =
  | { action: 'lock-account' | 'revoke-sessions' | 'revoke-api-keys'; userId: string }
  | { action: 'block-ip'; cidr: string; ttlMs: number }
  | { action: 'kill-switch'; scope: KillScope; target?: string };

/** Default and bounds of a containment block (docs/incidents.md). */
export const DEFAULT_BLOCK_TTL_MS = 24 * 60 * 60_000;
export const MIN_BLOCK_TTL_MS = 60_000;
export const MAX_BLOCK_TTL_MS = 30 * 24 * 60 * 60_000;

const USER_ID = /^[A-Za-z0-9-]{1,64}$/;
const SYMBOL = /^[A-Z0-9]{1,10}-[A-Z0-9]{1,10}$/;

const invalid = (detail: string): never => {
  throw new AppError('VALIDATION_FAILED', `body/target: ${detail}`, { extensions: { path: '/target' } });
};

/** Parses `target` for `action`; throws VALIDATION_FAILED naming `/target` when it does not fit. */
export function parseTarget(action: ContainmentAction, target: string, ttlMs: number | undefined): ParsedTarget {
  if (ttlMs !== undefined && action !== 'block-ip') {
    throw new AppError('VALIDATION_FAILED', 'body/ttlSeconds: only block-ip takes a duration', { extensions: { path: '/ttlSeconds' } });
  }
  switch (action) {
    case 'lock-account':
    case 'revoke-sessions':
    case 'revoke-api-keys':
      return USER_ID.test(target) ? { action, userId: target } : invalid('a user id');
    case 'block-ip': {
      const cidr = parseCidr(target);
      if (!cidr) return invalid('an IPv4/IPv6 address or a CIDR with zero host bits');
      return { action, cidr: cidr.text, ttlMs: ttlMs ?? DEFAULT_BLOCK_TTL_MS };
    }
    case 'kill-switch': {
      if (target === 'global') return { action, scope: 'global' };
      const [scope, rest] = [target.slice(0, target.indexOf(':')), target.slice(target.indexOf(':') + 1)];
      if (scope === 'user' && USER_ID.test(rest)) return { action, scope, target: rest };
      if (scope === 'symbol' && SYMBOL.test(rest)) return { action, scope, target: rest };
      return invalid('global, user:<user id> or symbol:<SYMBOL>');
    }
  }
}

/**
 * Runs a parsed action. Refuses (changing nothing) a block that covers the responder's own
 * address, as the IP-rule route does, and a user action on an unknown user.
 */
export async function runContainment(ports: ContainmentPorts, parsed: ParsedTarget, incidentId: string, ctx: ActorContext): Promise<Record<string, unknown>> {
  const reason = `incident ${incidentId}`;
  switch (parsed.action) {
    case 'lock-account':
    case 'revoke-sessions':
    case 'revoke-api-keys': {
      if (!(await ports.userExists(parsed.userId))) throw new AppError('NOT_FOUND', 'No user has this id.');
      if (parsed.action === 'lock-account') {
        await ports.lockAccount(parsed.userId, ctx);
        return { locked: true };
      }
      if (parsed.action === 'revoke-sessions') return { sessionsRevoked: await ports.revokeSessions(parsed.userId, `incident:${incidentId}`) };
      return { apiKeysRevoked: await ports.revokeApiKeys(parsed.userId, ctx, reason) };
    }
    case 'block-ip': {
      if (ctx.actor !== 'system') refuseSelfBlock(parsed.cidr, ctx.ip);
      const rule = await ports.blockIp(parsed.cidr, { reason, ttlMs: parsed.ttlMs, actor: ctx.actor, requestId: ctx.requestId });
      return { ruleId: rule.ruleId, cidr: parsed.cidr, expiresAt: rule.expiresAt };
    }
    case 'kill-switch':
      return { scope: parsed.scope, ...(await ports.killSwitch(parsed.scope, parsed.target, reason, ctx)) };
  }
}
