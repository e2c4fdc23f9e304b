/**
 * The MFA service the identity routes call: TOTP, backup codes, email/SMS codes and passkeys
 * over one database, one shared state store and one event bus. Wiring only; each factor's rules
 * live in its own folder.
 */
import type { Clock } from '../../lib/clock/index.js';
import type { Database } from '../../lib/db/index.js';
import type { SecurityEventBus } from '../../lib/events/index.js';
import type { Mailer, SmsSender } from '../../lib/notify/index.js';
import type { FieldProtector } from '../../lib/protect/index.js';
import type { StateStore } from '../../lib/state/index.js';
import { createBackupCodeRepository } from './backup-codes/backup-code-repository.js';
import { createBackupCodeService } from './backup-codes/backup-code-service.js';
import { createMfaEvents } from './events.js';
import { createFailureLimiter } from './failure-limiter.js';
import { emailTransport, smsTransport } from './otp/messages.js';
import { createDeliveredOtp } from './otp/delivered-otp.js';
import { resolvePolicy, type MfaPolicyOverrides } from './policy.js';
import { createTotpRepository } from './totp/totp-repository.js';
import { createTotpService } from './totp/totp-service.js';
import type { MfaMethod, MfaService } from './types.js';
import type { RelyingParty } from './webauthn/context.js';
import { createCredentialRepository } from './webauthn/credential-repository.js';
import { createWebAuthnService } from './webauthn/webauthn-service.js';

export interface MfaServiceDeps {
  db: Database;
  state: StateStore;
  clock: Clock;
  events: SecurityEventBus;
  /** Encrypts TOTP secrets at rest and keys the hashes of delivered codes. */
  protector: FieldProtector;
  mailer?: Mailer;
  sms?: SmsSender;
  webauthn: RelyingParty;
  policy?: MfaPolicyOverrides;
}

export function createMfaService(deps: MfaServiceDeps): MfaService {
  const { db, state, clock, protector } = deps;
  const policy = resolvePolicy(deps.policy);
  const events = createMfaEvents(deps.events);
  const limiter = createFailureLimiter(state, clock, policy.failures);
  const totpRepository = createTotpRepository(db);
  const backupRepository = createBackupCodeRepository(db);
  const credentials = createCredentialRepository(db);

  const backupCodes = createBackupCodeService({ repository: backupRepository, clock, events, limiter, count: policy.backupCodes.count });
  const totp = createTotpService({
    repository: totpRepository, protector, state, clock, events, limiter, policy: policy.totp,
    issueBackupCodes: (userId, ctx) => backupCodes.regenerate(userId, ctx),
  });
  const webauthn = createWebAuthnService({ rp: deps.webauthn, credentials, state, clock, events, policy: policy.webauthn });
  const otp = (channel: 'email' | 'sms') => createDeliveredOtp({
    channel, state, clock, protector, events, policy: policy.otp,
    ...(channel === 'email' && deps.mailer ? { transport: emailTransport(deps.mailer) } : {}),
    ...(channel === 'sms' && deps.sms ? { transport: smsTransport(deps.sms) } : {}),
  });

  async function strongFactors(userId: string) {
    const [row, passkeys] = await Promise.all([totpRepository.get(userId), credentials.listByUser(userId)]);
    return { totp: row !== null && row.confirmedAt !== null, webauthn: passkeys.length > 0 };
  }

  /** Recovery codes only make sense while a factor they stand in for exists. */
  async function dropOrphanedBackupCodes(userId: string): Promise<void> {
    const factors = await strongFactors(userId);
    if (!factors.totp && !factors.webauthn) await backupRepository.removeAll(userId);
  }

  return {
    async methodsFor(userId, contacts = {}) {
      const [factors, remaining] = await Promise.all([strongFactors(userId), backupRepository.countUnused(userId)]);
      const methods: MfaMethod[] = [];
      if (factors.webauthn) methods.push('webauthn');
      if (factors.totp) methods.push('totp');
      if ((factors.totp || factors.webauthn) && remaining > 0) methods.push('backup_code');
      if (contacts.email && deps.mailer) methods.push('email');
      if (contacts.phone && deps.sms) methods.push('sms');
      return methods;
    },
    totp: {
      ...totp,
      async disable(userId, ctx) {
        const removed = await totp.disable(userId, ctx);
        await dropOrphanedBackupCodes(userId);
        return removed;
      },
    },
    backupCodes,
    email: otp('email'),
    sms: otp('sms'),
    webauthn: {
      ...webauthn,
      async removeCredential(userId, credentialId, ctx) {
        const removed = await webauthn.removeCredential(userId, credentialId, ctx);
        await dropOrphanedBackupCodes(userId);
        return removed;
      },
    },
    async forgetUser(userId) {
      await Promise.all([totpRepository.remove(userId), backupRepository.removeAll(userId), credentials.removeAll(userId)]);
    },
  };
}
