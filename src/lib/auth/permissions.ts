/**
 * Named permissions (SPEC §3: every admin route checks one) and the role → permission table.
 * Least privilege: security operators respond to incidents, compliance reads audit and cases,
 * only admins change platform configuration and money.
 */
import type { Principal, Role } from './principal.js';

export const PERMISSIONS = [
  'audit:read',
  'audit:verify',
  'alerts:read',
  'alerts:ack',
  'incidents:read',
  'incidents:write',
  'ip-rules:read',
  'ip-rules:write',
  'risk:write',
  'kill-switch:write',
  'accounts:deposit',
  'accounts:lock',
  'price-sources:write',
  'market:resume',
  'sanctions:read',
  'aml:read',
  'aml:write',
  'users:read',
  'detection-rules:write',
  'metrics:read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  trader: [],
  admin: [...PERMISSIONS],
  security: [
    'audit:read', 'audit:verify', 'alerts:read', 'alerts:ack', 'incidents:read', 'incidents:write',
    'ip-rules:read', 'ip-rules:write', 'kill-switch:write', 'accounts:lock', 'users:read',
    'detection-rules:write', 'metrics:read', 'market:resume',
  ],
  compliance: ['audit:read', 'audit:verify', 'alerts:read', 'incidents:read', 'sanctions:read', 'aml:read', 'aml:write', 'users:read'],
};

export function permissionsOf(roles: readonly Role[]): ReadonlySet<Permission> {
  return new Set(roles.flatMap((role) => ROLE_PERMISSIONS[role] ?? []));
}

export function hasPermission(principal: Pick<Principal, 'roles' | 'kind'>, permission: Permission): boolean {
  // API keys carry trading scopes only; admin permissions need an interactive, MFA'd user.
  if (principal.kind !== 'user') return false;
  return permissionsOf(principal.roles).has(permission);
}
