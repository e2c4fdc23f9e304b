/**
 * The rule registry shared by every replica: admin IP rules, containment blocks and recidive
 * bans. Writes go to the database (source of truth), then to this process's matcher at once,
 * then to every other replica over StateStore pub/sub with the full rule in the message, so a
 * ban issued on one replica holds on the others by their next request without a database read.
 * A periodic resync reloads everything (a replica that missed a message while reconnecting
 * converges) and purges expired rows, each purge announced once as an event.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../lib/clock/index.js';
import type { SecurityEventBus } from '../../../lib/events/index.js';
import type { StateStore } from '../../../lib/state/index.js';
import { createRuleMatcher, type RuleMatcher } from './matcher.js';
import type { RuleRepository } from './repository.js';
import type { ActionContext, NetworkRule, RuleAction, RuleKind, RuleSource } from './types.js';

export const RULES_CHANNEL = 'net:rules';

export interface NewRule {
  kind: RuleKind;
  subject: string;
  action: RuleAction;
  source: RuleSource;
  reason: string;
  expiresAt: number | null;
}

export interface RuleService {
  /** The current matcher (replaced, never mutated, on every change). */
  matcher(): RuleMatcher;
  create(rule: NewRule, context: ActionContext, details?: Record<string, unknown>): Promise<NetworkRule>;
  remove(id: string, context: ActionContext): Promise<NetworkRule | null>;
  reload(): Promise<void>;
  /** Purges expired rows (one event per purged rule) and reloads. */
  resync(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RuleServiceOptions {
  repository: RuleRepository;
  state: StateStore;
  events: SecurityEventBus;
  clock: Clock;
  resyncMs: number;
  onError(error: unknown, what: string): void;
}

type Message = { op: 'add'; rule: NetworkRule } | { op: 'remove'; id: string };

function eventTypeOf(rule: NetworkRule, change: 'created' | 'deleted' | 'expired'): string {
  if (rule.source === 'recidive') return change === 'created' ? 'network.ban_issued' : `network.ban_${change === 'deleted' ? 'lifted' : 'expired'}`;
  return `network.ip_rule_${change}`;
}

export function createRuleService(options: RuleServiceOptions): RuleService {
  const { repository, state, events, clock } = options;
  let rules = new Map<string, NetworkRule>();
  let current: RuleMatcher = createRuleMatcher([]);
  let unsubscribe: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const rebuild = () => {
    current = createRuleMatcher([...rules.values()]);
  };
  const apply = (message: Message) => {
    if (message.op === 'add') rules.set(message.rule.id, message.rule);
    else rules.delete(message.id);
    rebuild();
  };
  const broadcast = async (message: Message) => {
    try {
      await state.publish(RULES_CHANNEL, JSON.stringify(message));
    } catch (error) {
      // The row is stored; other replicas converge at their next resync.
      options.onError(error, 'publish rule change');
    }
  };
  const announce = (rule: NetworkRule, change: 'created' | 'deleted' | 'expired', context: ActionContext, details: Record<string, unknown> = {}) => {
    events.emit({
      type: eventTypeOf(rule, change),
      actor: context.actor,
      target: rule.kind === 'ip' ? rule.subject : `${rule.kind}:${rule.subject}`,
      outcome: 'success',
      ip: context.ip ?? null,
      requestId: context.requestId ?? null,
      details: { ruleId: rule.id, kind: rule.kind, action: rule.action, source: rule.source, reason: rule.reason, expiresAt: rule.expiresAt, ...details },
    });
  };

  const service: RuleService = {
    matcher: () => current,
    async create(input, context, details) {
      const rule: NetworkRule = { id: randomUUID(), ...input, createdBy: context.actor, createdAt: clock.now() };
      await repository.insert(rule);
      apply({ op: 'add', rule });
      announce(rule, 'created', context, details);
      await broadcast({ op: 'add', rule });
      return rule;
    },
    async remove(id, context) {
      const rule = await repository.delete(id);
      if (!rule) return null;
      apply({ op: 'remove', id });
      announce(rule, 'deleted', context);
      await broadcast({ op: 'remove', id });
      return rule;
    },
    async reload() {
      const live = await repository.listLive(clock.now());
      rules = new Map(live.map((rule) => [rule.id, rule]));
      rebuild();
    },
    async resync() {
      const expired = await repository.listExpired(clock.now(), 500);
      for (const rule of expired) {
        // delete() reports a row to exactly one replica, so each expiry is one event.
        if (await repository.delete(rule.id)) announce(rule, 'expired', { actor: 'system' });
      }
      await service.reload();
    },
    async start() {
      unsubscribe = await state.subscribe(RULES_CHANNEL, (raw) => {
        try {
          apply(JSON.parse(raw) as Message);
        } catch (error) {
          options.onError(error, 'apply rule message');
        }
      });
      await service.reload();
      timer = setInterval(() => {
        service.resync().catch((error: unknown) => options.onError(error, 'rule resync'));
      }, options.resyncMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await unsubscribe?.();
      unsubscribe = undefined;
    },
  };
  return service;
}
