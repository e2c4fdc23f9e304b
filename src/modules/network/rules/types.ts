/** Network rules: admin IP allow/deny rules, containment blocks and recidive bans, one shape. */

export type RuleKind = 'ip' | 'user' | 'apikey';
export type RuleAction = 'allow' | 'deny';
/** Who made the rule: an admin (API), incident containment (`blockIp`), or the recidive ban logic. */
export type RuleSource = 'admin' | 'containment' | 'recidive';

export interface NetworkRule {
  id: string;
  kind: RuleKind;
  /** Canonical CIDR for `ip`; the user or API key id otherwise. */
  subject: string;
  action: RuleAction;
  source: RuleSource;
  reason: string;
  /** User id, or `system`. */
  createdBy: string;
  /** Unix ms. */
  createdAt: number;
  /** Unix ms; null = until deleted. */
  expiresAt: number | null;
}

/** Who asked, for events (audit) and rule attribution. */
export interface ActionContext {
  actor: string;
  ip?: string | null;
  requestId?: string | null;
}
