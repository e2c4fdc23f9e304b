/**
 * The capabilities the server runs, in dependency order. Each capability module exports a
 * factory taking the PlatformCore (and, where needed, capabilities created before it).
 */
import { createNotifiers } from '../lib/notify/index.js';
import { createApiKeysCapability } from '../modules/apikeys/index.js';
import { createAuditCapability } from '../modules/audit/index.js';
import {
  adminRecipients, createAlertDeliveryCapability, createDetectionCapability, type AlertDeliveryOptions, type DetectionCapabilityOptions,
} from '../modules/detection/index.js';
import { createIdentityCapability } from '../modules/identity/capability.js';
import { createIncidentsCapability, type IncidentsCapabilityOptions } from '../modules/incidents/index.js';
import { createMarketDataCapability, type MarketDataCapability } from '../modules/marketdata/index.js';
import { createMfaService } from '../modules/mfa/index.js';
import { createNetworkCapability, type NetworkCapabilityOptions } from '../modules/network/index.js';
import { createSiemCapability } from '../modules/siem/index.js';
import { createTradingCapability, createWebhookPayout, type TradingCapability } from '../modules/trading/index.js';
import type { Capability, PlatformCore } from './capability.js';

export interface CapabilityOptions {
  network?: NetworkCapabilityOptions;
  detection?: DetectionCapabilityOptions;
  /** Live event stream and alert email (tests shorten heartbeats and backoff). */
  delivery?: AlertDeliveryOptions;
  /** Auto-open severity and automatic containment policy (docs/incidents.md). */
  incidents?: IncidentsCapabilityOptions;
}

export async function createCapabilities(core: PlatformCore, options: CapabilityOptions = {}): Promise<Capability[]> {
  const { config, db, state, clock, events, crypto } = core;
  // Audit first: it subscribes to the event bus, so it must exist before anything emits.
  const audit = await createAuditCapability(core);
  // Detection and SIEM export consume the bus too; created before anything else emits.
  const detection = createDetectionCapability(core, {
    ...(config.notify.alertWebhookSecret ? { webhookSecret: config.notify.alertWebhookSecret } : {}),
    ...options.detection,
  });
  const siem = createSiemCapability(core);
  const network = await createNetworkCapability(core, options.network);
  const notifiers = createNotifiers(config.notify, clock);
  const publicUrl = new URL(config.server.publicUrl);
  const mfa = createMfaService({
    db, state, clock, events, protector: crypto.protector,
    ...(notifiers.mailer ? { mailer: notifiers.mailer } : {}),
    ...(notifiers.sms ? { sms: notifiers.sms } : {}),
    webauthn: { rpId: publicUrl.hostname, rpName: 'Q2', origins: [publicUrl.origin] },
  });
  const identity = createIdentityCapability(core, { protector: crypto.protector, mfa, ...(notifiers.mailer ? { mailer: notifiers.mailer } : {}) });
  // Alert stream and email: listed after notify so it closes (and stops mailing) before the mailer does.
  const delivery = await createAlertDeliveryCapability(core, {
    alerts: detection.alerts, ...(notifiers.mailer ? { mailer: notifiers.mailer } : {}),
    recipients: adminRecipients({ db, emailOf: (id) => identity.identity.users.email({ id }) }),
  }, options.delivery);
  // Network first: its gates run before any other capability's, cheapest checks before expensive work.
  // Audit first in the list so it closes last, after every other capability's final events.
  // Notifiers close after everything that may still send (listed first, closed last but audit).
  const notify: Capability = { name: 'notify', close: () => notifiers.close() };
  // Market data exposes `referencePrices` (the ReferencePriceSource port) for trading's price bands.
  const marketData = await createMarketDataCapability(core);
  const { payoutWebhookUrl, payoutWebhookSecret } = config.notify;
  const trading = await createTradingCapability(core, {
    referencePrices: marketData.referencePrices, mailer: notifiers.mailer, users: identity.identity.users,
    // Absent: manual payout (an operator records each outcome). Screening: none configured yet.
    ...(payoutWebhookUrl && payoutWebhookSecret ? { payout: createWebhookPayout({ url: payoutWebhookUrl, secret: payoutWebhookSecret, clock }) } : {}),
  });
  cancelRestingOrdersOnHalt(core, marketData, trading);
  const apiKeys = await createApiKeysCapability(core);
  // Incident response acts through identity, API keys, network and trading: created after them.
  const incidents = createIncidentsCapability(core, { audit, detection, identity: identity.identity, apiKeys, network, trading }, options.incidents);
  return [audit, detection, siem, notify, delivery, network, identity, apiKeys, marketData, trading, incidents];
}

/**
 * A halt whose symbol policy says `cancel` cancels every resting order of the symbol (SPEC §6),
 * through the book's owner like a symbol kill switch. Every replica's monitor reports the halt;
 * the repeats find nothing left to cancel.
 */
function cancelRestingOrdersOnHalt(core: PlatformCore, marketData: MarketDataCapability, trading: TradingCapability): void {
  marketData.marketData.onStatusChange((change) => {
    if (change.status !== 'halted' || change.restingOrders !== 'cancel') return;
    void trading.trading.host.execute({
      op: 'cancel-where', symbol: change.symbol, userId: null, reason: 'market-halt', ctx: { actor: 'system', ip: null, requestId: null },
    }).then((result) => {
      core.events.emit({ type: 'trading.halt_cancel', actor: 'system', target: change.symbol, outcome: result.ok ? 'success' : 'failure', details: { reason: change.reason, cancelled: result.ok ? result.cancelled ?? 0 : 0 } });
    }, (error: unknown) => core.logger.error({ err: error, symbol: change.symbol }, 'cancelling resting orders on halt failed'));
  });
}
