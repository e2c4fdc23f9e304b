/**
 * The capabilities the server runs, in dependency order. Each capability module exports a
 * factory taking the PlatformCore (and, where needed, capabilities created before it).
 */
import { createNotifiers } from '../lib/notify/index.js';
import { createApiKeysCapability } from '../modules/apikeys/index.js';
import { createAuditCapability } from '../modules/audit/index.js';
import { createIdentityCapability } from '../modules/identity/capability.js';
import { createMarketDataCapability } from '../modules/marketdata/index.js';
import { createMfaService } from '../modules/mfa/index.js';
import { createNetworkCapability, type NetworkCapabilityOptions } from '../modules/network/index.js';
import { createTradingCapability } from '../modules/trading/index.js';
import type { Capability, PlatformCore } from './capability.js';

export interface CapabilityOptions {
  network?: NetworkCapabilityOptions;
}

export async function createCapabilities(core: PlatformCore, options: CapabilityOptions = {}): Promise<Capability[]> {
  const { config, db, state, clock, events, crypto } = core;
  const notifiers = createNotifiers(config.notify, clock);
  const publicUrl = new URL(config.server.publicUrl);
  const mfa = createMfaService({
    db, state, clock, events, protector: crypto.protector,
    ...(notifiers.mailer ? { mailer: notifiers.mailer } : {}),
    ...(notifiers.sms ? { sms: notifiers.sms } : {}),
    webauthn: { rpId: publicUrl.hostname, rpName: 'Q2', origins: [publicUrl.origin] },
  });
  const identity = createIdentityCapability(core, { protector: crypto.protector, mfa });
  // Network first: its gates run before any other capability's, cheapest checks before expensive work.
  // Audit first in the list so it closes last, after every other capability's final events.
  // Notifiers close after everything that may still send (listed first, closed last but audit).
  const notify: Capability = { name: 'notify', close: () => notifiers.close() };
  // Market data exposes `referencePrices` (the ReferencePriceSource port) for trading's price bands.
  const marketData = await createMarketDataCapability(core);
  return [await createAuditCapability(core), notify, await createNetworkCapability(core, options.network), identity, await createApiKeysCapability(core), marketData,
    await createTradingCapability(core, { referencePrices: marketData.referencePrices, mailer: notifiers.mailer, users: identity.identity.users })];
}
