/**
 * Ports the withdrawal flow calls out through. The compliance work supplies sanctions and AML
 * screening later; until then the composition passes no screening, and every withdrawal
 * records `screening: 'not-configured'` and raises `withdrawal.screening.not_configured` —
 * an explicit statement that no check ran, never a silent "allow".
 */

export interface ScreeningRequest {
  userId: string;
  asset: string;
  /** Decimal string. */
  amount: string;
  address: string;
}

export interface ScreeningVerdict {
  decision: 'allow' | 'hold' | 'deny';
  reasons: string[];
}

export interface WithdrawalScreening {
  screen(request: ScreeningRequest): Promise<ScreeningVerdict>;
}

/** Tells the account owner that a withdrawal address was added (SPEC §5: "its addition is notified"). */
export interface WithdrawalNotifier {
  addressAdded(userId: string, details: { asset: string; label: string; addressHint: string; activatesAt: number }): Promise<void>;
}

/** Email notifier over the platform mailer; `emailOf` resolves the owner's address (identity). */
export function createEmailWithdrawalNotifier(deps: {
  mailer: { send(message: { to: string; subject: string; text: string }): Promise<void> };
  emailOf: (userId: string) => Promise<string | null>;
}): WithdrawalNotifier {
  return {
    async addressAdded(userId, details) {
      const to = await deps.emailOf(userId);
      if (!to) return;
      await deps.mailer.send({
        to,
        subject: 'Q2: a withdrawal address was added to your account',
        text: `A ${details.asset} withdrawal address (${details.label}, ending ${details.addressHint}) was added to your account.\n` +
          `It can be used from ${new Date(details.activatesAt).toISOString()}.\n` +
          'If this was not you, sign in, remove the address and contact support at once.',
      });
    },
  };
}
