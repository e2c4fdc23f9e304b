/**
 * The per-replica cache of sources, symbol policies and halts. Reloaded from the database at
 * start, whenever any replica announces a change on `md:registry`, periodically, when the
 * shared generation counter shows a change this replica has not loaded yet (checked before
 * every ingest, so a revocation cannot lag behind a pub/sub message), and on a cache miss for
 * a source or symbol — coalesced and at most once per `missReloadMs`, so updates naming
 * made-up source ids cannot turn into a query each (the CLI writes without a shared store).
 *
 * A row that fails to parse (a tampered key, an invalid stored policy) is left out and
 * reported: a source that cannot be verified is treated as unknown, a symbol without a valid
 * policy accepts no prices. Both fail closed.
 */
import type { StateStore } from '../../../lib/state/index.js';
import type { HaltInfo } from '../engine/evaluate.js';
import { parseSourcePublicKey, type PriceSource } from '../feed/source.js';
import { effectiveQuorum, resolvePolicy, type PolicyInput, type SymbolPolicy } from '../policy.js';
import type { HaltRow, MarketDataRepository } from './repository.js';

export const REGISTRY_CHANNEL = 'md:registry';
const NONE: readonly string[] = Object.freeze([]);
/** Bumped by every change; a replica whose last load saw another value reloads before deciding. */
const GENERATION_KEY = 'md:registry:generation';
const GENERATION_TTL_MS = 365 * 24 * 3_600_000;

export interface RegistrySnapshot {
  sources: ReadonlyMap<string, PriceSource>;
  policies: ReadonlyMap<string, SymbolPolicy>;
  halts: ReadonlyMap<string, HaltRow>;
  /** Active sources per symbol, derived once per load (read on every evaluation). */
  active: ReadonlyMap<string, readonly string[]>;
}

export interface Registry {
  source(sourceId: string): PriceSource | undefined;
  policy(symbol: string): SymbolPolicy | undefined;
  halt(symbol: string): HaltInfo | null;
  symbols(): string[];
  /** Active sources allowed to publish `symbol` (a copy). */
  sourcesFor(symbol: string): string[];
  /** The same, without copying (hot path; do not mutate). */
  activeSources(symbol: string): readonly string[];
  /** The effective quorum of `symbol` (see policy.ts). */
  quorumFor(symbol: string): number;
  sourceList(): PriceSource[];
  /** Full reload from the database. */
  reload(): Promise<void>;
  /** Reload after a cache miss, coalesced and rate-limited. */
  reloadOnMiss(): Promise<void>;
  /**
   * One shared-store read: reloads first when any replica changed the registry since this one
   * last loaded it, so a revocation holds on every replica from the next update on.
   */
  ensureCurrent(): Promise<void>;
  /** Tells every replica (this one included) to reload. */
  announce(): Promise<void>;
  /** Called after each reload with the halts before and after. */
  onReload(listener: (before: RegistrySnapshot, after: RegistrySnapshot) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RegistryDeps {
  repository: MarketDataRepository;
  state: StateStore;
  now(): number;
  missReloadMs?: number;
  onProblem(what: string, error?: unknown): void;
}

const EMPTY: RegistrySnapshot = { sources: new Map(), policies: new Map(), halts: new Map(), active: new Map() };

export function createRegistry(deps: RegistryDeps): Registry {
  const missReloadMs = deps.missReloadMs ?? 1_000;
  let snapshot = EMPTY;
  let generation: string | null | undefined;
  let lastMissReload = -Infinity;
  let inflight: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  let unsubscribe: (() => Promise<void>) | null = null;
  const listeners: ((before: RegistrySnapshot, after: RegistrySnapshot) => void)[] = [];

  async function load(): Promise<RegistrySnapshot> {
    const [sourceRows, policyRows, haltRows] = await Promise.all([
      deps.repository.listSources(), deps.repository.listPolicies(), deps.repository.listHalts(),
    ]);
    const sources = new Map<string, PriceSource>();
    for (const row of sourceRows) {
      const publicKey = parseSourcePublicKey(row.publicKeyPem);
      if (!publicKey) {
        deps.onProblem(`stored key of price source ${row.sourceId} does not parse; source ignored`);
        continue;
      }
      sources.set(row.sourceId, { ...row, publicKey, symbols: new Set(row.symbols) });
    }
    const policies = new Map<string, SymbolPolicy>();
    for (const row of policyRows) {
      const verdict = resolvePolicy(row.symbol, row.policy as PolicyInput);
      if (verdict.ok) policies.set(row.symbol, verdict.policy);
      else deps.onProblem(`stored policy of ${row.symbol} is invalid (${verdict.field}); symbol accepts no prices`);
    }
    const active = new Map<string, string[]>();
    for (const source of sources.values()) {
      if (source.status !== 'active') continue;
      for (const symbol of source.symbols) active.set(symbol, [...(active.get(symbol) ?? []), source.sourceId]);
    }
    return { sources, policies, halts: new Map(haltRows.map((h) => [h.symbol, h])), active };
  }

  async function run(): Promise<void> {
    // Read before loading: a change landing during the load leaves a newer generation behind.
    const seen = await deps.state.get(GENERATION_KEY);
    const next = await load();
    const before = snapshot;
    snapshot = next;
    generation = seen;
    for (const listener of listeners) listener(before, next);
  }

  /**
   * One reload at a time. A caller arriving during one gets a fresh reload after it (shared by
   * every caller arriving meanwhile), so a change written before the call is always seen.
   */
  function reload(): Promise<void> {
    if (!inflight) {
      inflight = run().finally(() => {
        inflight = null;
      });
      return inflight;
    }
    queued ??= inflight.catch(() => undefined).then(() => {
      queued = null;
      return reload();
    });
    return queued;
  }

  const activeFor = (symbol: string): string[] => [...(snapshot.active.get(symbol) ?? [])];

  return {
    source: (id) => snapshot.sources.get(id),
    policy: (symbol) => snapshot.policies.get(symbol),
    halt: (symbol) => snapshot.halts.get(symbol) ?? null,
    symbols: () => [...snapshot.policies.keys()],
    sourcesFor: activeFor,
    activeSources: (symbol) => snapshot.active.get(symbol) ?? NONE,
    quorumFor(symbol) {
      const policy = snapshot.policies.get(symbol);
      return policy ? effectiveQuorum(policy, snapshot.active.get(symbol)?.length ?? 0) : Number.MAX_SAFE_INTEGER;
    },
    sourceList: () => [...snapshot.sources.values()],
    reload,
    async reloadOnMiss() {
      const now = deps.now();
      if (inflight) return inflight;
      if (now - lastMissReload < missReloadMs) return;
      lastMissReload = now;
      await reload();
    },
    async ensureCurrent() {
      if ((await deps.state.get(GENERATION_KEY)) !== generation) await reload();
    },
    async announce() {
      await deps.state.increment(GENERATION_KEY, 1, GENERATION_TTL_MS);
      await reload();
      await deps.state.publish(REGISTRY_CHANNEL, 'reload').catch((error: unknown) => deps.onProblem('registry announcement failed', error));
    },
    onReload(listener) {
      listeners.push(listener);
    },
    async start() {
      await reload();
      unsubscribe = await deps.state.subscribe(REGISTRY_CHANNEL, () => {
        reload().catch((error: unknown) => deps.onProblem('registry reload failed', error));
      });
    },
    async stop() {
      await unsubscribe?.();
      unsubscribe = null;
      await inflight?.catch(() => undefined);
    },
  };
}
