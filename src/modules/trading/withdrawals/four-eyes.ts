/**
 * The four-eyes rule of the withdrawal lifecycle (segregation of duties): a withdrawal's money
 * leaves only after two different people agreed, and never on its owner's word alone.
 *
 * - nobody reviews (approves or rejects) their own withdrawal;
 * - nobody records the payout outcome of their own withdrawal;
 * - the reviewer who approved a held withdrawal does not record its payout outcome.
 *
 * Actors are compared as `RequestContext.actor`, the user id of a person: admin permissions are
 * never granted to API keys (`hasPermission`), so nobody can slip past the rule by acting once
 * as themselves and once through a key. The payout port acts as `system:payout`.
 * The rule has two forms, kept here side by side: `fourEyesAllows`, the WHERE that enforces it
 * inside the transition's guarded UPDATE (lifecycle.ts; not a check before it, so a racing
 * approval and payout record cannot both pass), and `fourEyesBreach`, which names the breach
 * when that UPDATE changed nothing.
 */
import type { ExpressionBuilder } from 'kysely';
import type { Tables } from '../../../lib/db/schema.js';

export type FourEyesBreach = 'own-withdrawal' | 'approver-records-payout';

/** The parts of a withdrawal the rule looks at (both fixed once the withdrawal is `pending`). */
export interface FourEyesSubject {
  user_id: string;
  reviewed_by: string | null;
}

/** Why `actor` may not take this decision, or null when they may. */
export function fourEyesBreach(subject: FourEyesSubject, actor: string, action: 'review' | 'record-payout'): FourEyesBreach | null {
  if (subject.user_id === actor) return 'own-withdrawal';
  if (action === 'record-payout' && subject.reviewed_by === actor) return 'approver-records-payout';
  return null;
}

/** The same rule as a WHERE over `withdrawals`: true when `actor` may take this decision. */
export function fourEyesAllows(actor: string, action: 'review' | 'record-payout') {
  return (eb: ExpressionBuilder<Tables, 'withdrawals'>) => eb.and([
    eb('user_id', '!=', actor),
    ...(action === 'record-payout' ? [eb.or([eb('reviewed_by', 'is', null), eb('reviewed_by', '!=', actor)])] : []),
  ]);
}
