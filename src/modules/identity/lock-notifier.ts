/**
 * Tells an account's owner by email that their account was locked after failed attempts
 * (SPEC §3: "owner notified"), so a lockout by an attacker never goes unnoticed. Runs as an
 * event-bus subscriber: never on the login path, retried by the bus if the mail server fails.
 * At most one notice per account per `quietMs`, so an attack cannot turn it into mail spam.
 */
import type { SecurityEventBus } from '../../lib/events/index.js';
import type { Mailer } from '../../lib/notify/index.js';
import type { StateStore } from '../../lib/state/index.js';
import type { UserRepository } from './accounts/user-repository.js';

export function subscribeLockNotifier(deps: {
  events: SecurityEventBus; mailer: Mailer; users: UserRepository; state: StateStore; quietMs?: number;
}): () => void {
  const quietMs = deps.quietMs ?? 3_600_000;
  return deps.events.subscribe('identity.lock-notifier', async (event) => {
    if (event.type !== 'auth.account.locked' || event.details.notifyOwner !== true || !event.target) return;
    if (!(await deps.state.setIfAbsent(`auth:lock-notice:${event.target}`, '1', quietMs))) return;
    const user = await deps.users.findById(event.target);
    if (!user) return;
    const minutes = Math.max(1, Math.ceil(Number(event.details.lockMs ?? 0) / 60_000));
    await deps.mailer.send({
      to: await deps.users.email(user),
      subject: 'Q2: sign-in temporarily locked after failed attempts',
      text: [
        `We locked password sign-in to your Q2 account for about ${minutes} minute(s) after ${String(event.details.failures)} failed attempts.`,
        'If this was not you, someone may be guessing your password. Your passkey sign-in still works,',
        'and nothing was changed on your account. Consider changing your password once you are signed in.',
      ].join('\n'),
    });
  });
}
