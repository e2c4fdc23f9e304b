/**
 * Who receives alert email: every active user with the `admin` or `security` role, read at send
 * time so a role granted or revoked takes effect with the next alert. Emails are decrypted by the
 * identity module's repository (they are stored encrypted, SPEC §8).
 */
import type { Database } from '../../../lib/db/index.js';

export interface AlertRecipient {
  userId: string;
  email: string;
}

const ALERT_ROLES = ['admin', 'security'];

export function adminRecipients(deps: { db: Database; emailOf: (userId: string) => Promise<string> }): () => Promise<AlertRecipient[]> {
  return async () => {
    // LIKE narrows the scan to privileged rows; the JSON check below is the real test.
    const rows = await deps.db.kysely.selectFrom('users').select(['id', 'roles'])
      .where('status', '=', 'active')
      .where((eb) => eb.or(ALERT_ROLES.map((role) => eb('roles', 'like', `%"${role}"%`))))
      .orderBy('id').execute();
    const ids = rows.filter((row) => {
      const roles = JSON.parse(row.roles) as unknown;
      return Array.isArray(roles) && roles.some((role) => ALERT_ROLES.includes(role as string));
    }).map((row) => row.id);
    return Promise.all(ids.map(async (userId) => ({ userId, email: await deps.emailOf(userId) })));
  };
}
