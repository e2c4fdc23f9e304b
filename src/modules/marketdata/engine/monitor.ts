/**
 * This replica's live view of every symbol: the latest observation per source, the symbol's
 * memory (last approved price, return window, recovery progress) and the halt state machine of
 * evaluate.ts, with its actions carried out:
 *
 * - halt: a provisional halt takes effect here at once (the quote is `halted` before any I/O),
 *   then it is recorded as a `marketdata_halts` row. The replica whose INSERT wins emits the
 *   alert and `marketdata.halted`; the others adopt the recorded halt. If the database is down
 *   the provisional halt stays and is retried every tick (fail closed).
 * - resume: only a recorded halt can be lifted; the DELETE by (symbol, haltId) that wins emits
 *   `marketdata.resumed`. Every replica that sees a halt disappear forgets its approved price,
 *   so it re-anchors at the recovered price instead of re-halting against the pre-halt one.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../lib/clock/index.js';
import type { SecurityEventBus } from '../../../lib/events/index.js';
import type { Observation } from '../aggregate/aggregate.js';
import type { MarketDataMetrics, SymbolHealth } from '../metrics.js';
import type { RestingOrdersOnHalt } from '../policy.js';
import type { Registry, RegistrySnapshot } from '../store/registry.js';
import type { MarketDataRepository } from '../store/repository.js';
import { MARKETDATA_EVENTS, type Alerter } from './alerts.js';
import { EMPTY_MEMORY, evaluateSymbol, type Action, type Evaluation, type HaltInfo, type HaltReason, type SymbolMemory } from './evaluate.js';

export interface StatusChange {
  symbol: string;
  status: 'halted' | 'running';
  reason: HaltReason | null;
  /** What the trading module should do with resting orders (symbol policy). */
  restingOrders: RestingOrdersOnHalt;
}

interface Runtime {
  observations: Map<string, Observation>;
  memory: SymbolMemory;
  provisional: HaltInfo | null;
  provisionalDetails: Record<string, unknown>;
  recording: boolean;
  resuming: boolean;
  flatlined: Set<string>;
}

export interface Monitor {
  /** Stores an observation if its sequence is newer than the one held; true when stored. */
  apply(symbol: string, observation: Observation): boolean;
  /** Evaluates and carries out the resulting action; null for an unconfigured symbol. */
  evaluate(symbol: string): Evaluation | null;
  /** Evaluates without any effect (quotes, the public view, metrics). */
  view(symbol: string): Evaluation | null;
  /** The last approved reference price while not halted (step checks); null otherwise. */
  reference(symbol: string): bigint | null;
  /** Re-evaluates every symbol (staleness, recovery) and retries unrecorded halts. */
  tick(): void;
  /** Resolves once every halt/resume/alert started so far has finished. */
  settle(): Promise<void>;
  onStatusChange(listener: (change: StatusChange) => void): () => void;
  health(): SymbolHealth[];
}

export interface MonitorDeps {
  registry: Registry;
  repository: MarketDataRepository;
  events: SecurityEventBus;
  alerter: Alerter;
  clock: Clock;
  metrics: MarketDataMetrics;
  onProblem(what: string, error?: unknown): void;
}

export function createMonitor(deps: MonitorDeps): Monitor {
  const { registry, repository, events, alerter, clock } = deps;
  const runtimes = new Map<string, Runtime>();
  const pending = new Set<Promise<void>>();
  const listeners = new Set<(change: StatusChange) => void>();

  const runtime = (symbol: string): Runtime => {
    let rt = runtimes.get(symbol);
    if (!rt) {
      // The return window is this runtime's own mutable array (evaluations never copy it).
      rt = { observations: new Map(), memory: { ...EMPTY_MEMORY, returns: [] }, provisional: null, provisionalDetails: {}, recording: false, resuming: false, flatlined: new Set() };
      runtimes.set(symbol, rt);
    }
    return rt;
  };

  function track(work: () => Promise<void>): void {
    const promise = work().catch((error: unknown) => deps.onProblem('market-data action failed', error)).finally(() => pending.delete(promise));
    pending.add(promise);
  }

  function compute(symbol: string): { rt: Runtime; evaluation: Evaluation } | null {
    const policy = registry.policy(symbol);
    if (!policy) return null;
    const rt = runtime(symbol);
    const allowed = registry.activeSources(symbol);
    const observations: Observation[] = [];
    for (const o of rt.observations.values()) if (allowed.includes(o.sourceId)) observations.push(o);
    const halt = registry.halt(symbol) ?? rt.provisional;
    const evaluation = evaluateSymbol({ observations, memory: rt.memory, halt, now: clock.now(), policy, quorum: registry.quorumFor(symbol) });
    return { rt, evaluation };
  }

  async function recordHalt(symbol: string, rt: Runtime, halt: HaltInfo, details: Record<string, unknown>): Promise<void> {
    rt.recording = true;
    try {
      const restingOrders = registry.policy(symbol)?.restingOrdersOnHalt ?? 'keep';
      if (await repository.insertHalt({ ...halt, symbol, details, createdBy: 'system' })) {
        deps.metrics.halts.inc({ symbol, reason: halt.reason });
        await alerter.alert(halt.reason, symbol, details);
        events.emit({ type: MARKETDATA_EVENTS.halted, actor: 'system', target: symbol, outcome: 'info', details: { symbol, haltId: halt.haltId, reason: halt.reason, restingOrders, ...details } });
      }
      await registry.announce();
    } finally {
      rt.recording = false;
    }
  }

  async function liftHalt(symbol: string, rt: Runtime, halt: HaltInfo): Promise<void> {
    rt.resuming = true;
    try {
      if (await repository.deleteHalt(symbol, halt.haltId)) {
        events.emit({ type: MARKETDATA_EVENTS.resumed, actor: 'system', target: symbol, outcome: 'success', details: { symbol, haltId: halt.haltId, reason: halt.reason, by: 'recovery', haltedMs: clock.now() - halt.since } });
      }
      await registry.announce();
    } finally {
      rt.resuming = false;
    }
  }

  function haltDetails(action: Extract<Action, { kind: 'halt' }>, evaluation: Evaluation): Record<string, unknown> {
    const fmt = (v: bigint | null) => (v === null ? null : v.toString());
    return {
      fromScaled: fmt(action.from), toScaled: fmt(action.to),
      moveBps: action.jump?.moveBps ?? null, z: action.jump?.z === null || action.jump?.z === undefined ? null : Math.round(action.jump.z * 100) / 100,
      sources: evaluation.aggregate.sources.map((s) => ({ sourceId: s.sourceId, state: s.state })).sort((a, b) => (a.sourceId < b.sourceId ? -1 : 1)),
      quorum: evaluation.aggregate.quorum,
    };
  }

  function act(symbol: string, rt: Runtime, evaluation: Evaluation): void {
    const action = evaluation.action;
    if (!action) return;
    if (action.kind === 'halt') {
      if (rt.provisional || rt.recording) return;
      const halt: HaltInfo = { haltId: randomUUID(), reason: action.reason, since: clock.now() };
      rt.provisional = halt;
      const details = haltDetails(action, evaluation);
      rt.provisionalDetails = details;
      track(() => recordHalt(symbol, rt, halt, details));
      return;
    }
    // Resume: only a recorded halt is lifted; an unrecorded one waits until it is recorded.
    const recorded = registry.halt(symbol);
    if (!recorded || rt.resuming) return;
    track(() => liftHalt(symbol, rt, recorded));
  }

  function flagFlatlines(symbol: string, rt: Runtime, evaluation: Evaluation): void {
    const sources = evaluation.aggregate.sources;
    if (rt.flatlined.size === 0 && !sources.some((s) => s.state === 'flatline')) return;
    const flatlineMs = registry.policy(symbol)?.flatlineMs ?? 0;
    const now = new Set(sources.filter((s) => s.state === 'flatline').map((s) => s.sourceId));
    for (const sourceId of now) {
      if (rt.flatlined.has(sourceId)) continue;
      track(() => alerter.alert('flatline', symbol, { sourceId }, { key: `${symbol}:${sourceId}`, ms: flatlineMs }));
    }
    rt.flatlined = now;
  }

  function evaluate(symbol: string): Evaluation | null {
    const computed = compute(symbol);
    if (!computed) return null;
    const { rt, evaluation } = computed;
    rt.memory = evaluation.memory;
    if (evaluation.appendReturn !== null) {
      const window = rt.memory.returns as number[];
      window.push(evaluation.appendReturn);
      const excess = window.length - (registry.policy(symbol)?.volatilityWindow ?? window.length);
      if (excess > 0) window.splice(0, excess);
    }
    flagFlatlines(symbol, rt, evaluation);
    act(symbol, rt, evaluation);
    return evaluation;
  }

  function notify(symbol: string, status: StatusChange['status'], reason: HaltReason | null): void {
    const change: StatusChange = { symbol, status, reason, restingOrders: registry.policy(symbol)?.restingOrdersOnHalt ?? 'keep' };
    for (const listener of listeners) {
      try {
        listener(change);
      } catch (error) {
        deps.onProblem('status-change listener failed', error);
      }
    }
  }

  registry.onReload((before: RegistrySnapshot, after: RegistrySnapshot) => {
    for (const symbol of new Set([...before.halts.keys(), ...after.halts.keys()])) {
      const was = before.halts.get(symbol);
      const is = after.halts.get(symbol);
      const rt = runtime(symbol);
      if (is) rt.provisional = null;
      if (was && !is) {
        rt.memory = { ...rt.memory, approved: null, healthySince: null, recoveryAnchor: null };
        notify(symbol, 'running', null);
        // Re-anchor now, so a quorum lost right after the resume is recorded as a halt.
        evaluate(symbol);
      } else if (is && is.haltId !== was?.haltId) {
        notify(symbol, 'halted', is.reason);
      }
    }
  });

  return {
    apply(symbol, observation) {
      const rt = runtime(symbol);
      const held = rt.observations.get(observation.sourceId);
      if (held && held.sequence >= observation.sequence) return false;
      rt.observations.set(observation.sourceId, observation);
      return true;
    },
    evaluate,
    view: (symbol) => compute(symbol)?.evaluation ?? null,
    reference(symbol) {
      const rt = runtimes.get(symbol);
      if (!rt || rt.provisional || registry.halt(symbol)) return null;
      return rt.memory.approved?.price ?? null;
    },
    tick() {
      for (const symbol of registry.symbols()) {
        evaluate(symbol);
        const rt = runtime(symbol);
        const provisional = rt.provisional;
        if (provisional && !rt.recording && !registry.halt(symbol)) {
          track(() => recordHalt(symbol, rt, provisional, { ...rt.provisionalDetails, retried: true }));
        }
      }
    },
    async settle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    onStatusChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    health() {
      const now = clock.now();
      return registry.symbols().map((symbol) => {
        const evaluation = compute(symbol)?.evaluation ?? null;
        return { symbol, status: evaluation?.quote.status ?? 'unknown', price: evaluation?.quote.price ?? null, aggregate: evaluation?.aggregate ?? null, now };
      });
    },
  };
}
