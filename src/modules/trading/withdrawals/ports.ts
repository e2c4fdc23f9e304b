/**
 * Ports the withdrawal flow calls out through. Screening (sanctions, AML): the compliance work
 * supplies it; by default the composition passes none ("no screening configured"), and every
 * withdrawal records `screening: 'not-configured'` and raises
 * `withdrawal.screening.not_configured` — an explicit statement that no check ran, never a
 * silent "allow". A verdict `deny` refuses the withdrawal (SANCTIONS_HIT, nothing debited);
 * `hold` holds it for review. Payout: see `WithdrawalPayout`.
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

/** What the payout is asked to send: an approved (`pending`) withdrawal, already debited. */
export interface PayoutRequest {
  withdrawalId: string;
  userId: string;
  asset: string;
  /** Decimal string. */
  amount: string;
  address: string;
  /** 1 for the first attempt; a retry repeats everything else, `withdrawalId` included. */
  attempt: number;
}

/**
 * `sent`: broadcast under `txId`; `failed`: will not be sent (the amount is credited back);
 * `submitted`: accepted, the outcome is recorded later (`POST /v1/admin/withdrawals/{id}/payout`).
 */
export type PayoutOutcome = { status: 'sent'; txId: string } | { status: 'failed'; reason: string } | { status: 'submitted' };

/**
 * Hands an approved withdrawal to whatever moves the funds (a custody API, a wallet service, an
 * operator). Called after the withdrawal became `pending` and committed; it must be idempotent
 * by `withdrawalId` (the idempotency key), because a call that throws is retried with backoff
 * (payout-attempts.ts) and a crash between its answer and our record repeats the call.
 */
export interface WithdrawalPayout {
  readonly name: string;
  send(request: PayoutRequest): Promise<PayoutOutcome>;
}

/**
 * The default: no automatic payout. Approved withdrawals wait as `pending` in
 * `GET /v1/admin/withdrawals?status=pending`; an operator sends the funds from custody and
 * records the chain transaction id (or the failure) with `POST /v1/admin/withdrawals/{id}/payout`.
 */
export const manualPayout: WithdrawalPayout = {
  name: 'manual',
  send: async () => ({ status: 'submitted' }),
};

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

/**
 * Thrown by a payout port when the receiver refused the request for good (e.g. HTTP 400, 401,
 * 403, 422): the same signed request would be refused again, so it is not retried; the
 * withdrawal stays pending and debited and is flagged for an operator at once, instead of after
 * an hour of pointless attempts. Anything else a port throws is treated as transient.
 */
export class PayoutRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayoutRefused';
  }
}
