/**
 * Administrative changes to market data (SPEC §6), each audited as a security event and
 * announced so every replica reloads: registering and revoking price sources, setting a
 * symbol's feed policy, and lifting a halt by hand. Expected refusals are returned verdicts.
 *
 * A source id is never reused: revocation keeps the row, so a re-registration under the same id
 * (which would restart its sequence under a new key) is refused. Rotate a key by registering a
 * new source and revoking the old one.
 */
import type { Clock } from '../../../lib/clock/index.js';
import type { SecurityEventBus } from '../../../lib/events/index.js';
import { MARKETDATA_EVENTS } from '../engine/alerts.js';
import { keyFingerprint, parseSourcePublicKey } from '../feed/source.js';
import { resolvePolicy, type PolicyInput, type SymbolPolicy } from '../policy.js';
import type { Registry } from '../store/registry.js';
import type { MarketDataRepository } from '../store/repository.js';

export interface ActionContext {
  actor: string;
  ip?: string | null;
  requestId?: string | null;
}

export type AdminFailure = {
  ok: false;
  code: 'VALIDATION_FAILED' | 'PRICE_SOURCE_EXISTS' | 'PRICE_SYMBOL_UNCONFIGURED' | 'NOT_FOUND' | 'MARKET_NOT_HALTED';
  detail: string;
};

export interface RegisteredSourceView {
  sourceId: string;
  symbols: string[];
  status: 'active' | 'revoked';
  keyFingerprint: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface MarketDataAdmin {
  registerSource(input: { sourceId: string; publicKey: string; symbols: readonly string[] }, ctx: ActionContext): Promise<{ ok: true; source: RegisteredSourceView } | AdminFailure>;
  revokeSource(sourceId: string, ctx: ActionContext): Promise<{ ok: true } | AdminFailure>;
  configureSymbol(symbol: string, input: PolicyInput, ctx: ActionContext): Promise<{ ok: true; policy: SymbolPolicy; version: bigint } | AdminFailure>;
  resume(symbol: string, reason: string, ctx: ActionContext): Promise<{ ok: true } | AdminFailure>;
  listSources(): RegisteredSourceView[];
}

export interface AdminDeps {
  repository: MarketDataRepository;
  registry: Registry;
  events: SecurityEventBus;
  clock: Clock;
}

export function createMarketDataAdmin(deps: AdminDeps): MarketDataAdmin {
  const { repository, registry, events, clock } = deps;
  const emit = (type: string, ctx: ActionContext, target: string, details: Record<string, unknown>) =>
    events.emit({ type, actor: ctx.actor, target, outcome: 'success', ip: ctx.ip ?? null, requestId: ctx.requestId ?? null, details });

  return {
    async registerSource(input, ctx) {
      const publicKey = parseSourcePublicKey(input.publicKey);
      if (!publicKey) return { ok: false, code: 'VALIDATION_FAILED', detail: 'body/publicKey: not an Ed25519 SubjectPublicKeyInfo PEM' };
      const symbols = [...new Set(input.symbols)].sort();
      await registry.reload();
      const unconfigured = symbols.filter((s) => !registry.policy(s));
      if (unconfigured.length > 0) return { ok: false, code: 'PRICE_SYMBOL_UNCONFIGURED', detail: `No feed policy for ${unconfigured.join(', ')}; configure the symbol first.` };
      const createdAt = clock.now();
      const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
      if (!await repository.insertSource({ sourceId: input.sourceId, publicKeyPem, symbols, status: 'active', createdBy: ctx.actor, createdAt })) {
        return { ok: false, code: 'PRICE_SOURCE_EXISTS', detail: `A price source ${input.sourceId} exists or existed; source ids are never reused.` };
      }
      const fingerprint = keyFingerprint(publicKey);
      emit(MARKETDATA_EVENTS.sourceRegistered, ctx, input.sourceId, { sourceId: input.sourceId, symbols, keyFingerprint: fingerprint });
      await registry.announce();
      return { ok: true, source: { sourceId: input.sourceId, symbols, status: 'active', keyFingerprint: fingerprint, createdAt, revokedAt: null } };
    },

    async revokeSource(sourceId, ctx) {
      if (!await repository.revokeSource(sourceId, ctx.actor, clock.now())) return { ok: false, code: 'NOT_FOUND', detail: 'No active price source with that id.' };
      emit(MARKETDATA_EVENTS.sourceRevoked, ctx, sourceId, { sourceId });
      await registry.announce();
      return { ok: true };
    },

    async configureSymbol(symbol, input, ctx) {
      const verdict = resolvePolicy(symbol, input);
      if (!verdict.ok) return { ok: false, code: 'VALIDATION_FAILED', detail: `body/${verdict.field}: ${verdict.reason}` };
      const version = await repository.putPolicy(symbol, verdict.policy.document, ctx.actor, clock.now());
      emit(MARKETDATA_EVENTS.symbolConfigured, ctx, symbol, { symbol, version: version.toString(), policy: verdict.policy.document });
      await registry.announce();
      return { ok: true, policy: verdict.policy, version };
    },

    async resume(symbol, reason, ctx) {
      await registry.reload();
      const halt = registry.halt(symbol);
      if (!halt || !await repository.deleteHalt(symbol, halt.haltId)) {
        return { ok: false, code: 'MARKET_NOT_HALTED', detail: `${symbol} has no recorded halt to lift.` };
      }
      emit(MARKETDATA_EVENTS.resumed, ctx, symbol, { symbol, haltId: halt.haltId, reason: halt.reason, by: 'admin', note: reason, haltedMs: clock.now() - halt.since });
      await registry.announce();
      return { ok: true };
    },

    listSources() {
      return registry.sourceList().map((s) => ({
        sourceId: s.sourceId, symbols: [...s.symbols].sort(), status: s.status, keyFingerprint: keyFingerprint(s.publicKey), createdAt: s.createdAt, revokedAt: s.revokedAt,
      }));
    },
  };
}
