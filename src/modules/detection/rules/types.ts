/**
 * Detection rules as data (SPEC §7 "declarative rules over the event stream"). A rule is a plain
 * object, versioned so an alert always names the exact rule text that raised it; changing a
 * rule's meaning means bumping `version`, never editing it in place.
 */

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Which events a rule (or a sequence step) looks at. All given conditions must hold. */
export interface EventMatcher {
  /** Exact event types, or a prefix ending in `.*` (`signature.*`). */
  types: readonly string[];
  outcomes?: readonly ('success' | 'failure' | 'denied' | 'info')[];
  /** Equality on top-level `details` fields (e.g. `{ reason: 'bad_credentials' }`). */
  details?: Readonly<Record<string, string>>;
}

/**
 * A field of the event used as group key or distinct value: `actor`, `target`, `ip`, or
 * `details.<name>` (string values only). An event whose field is missing does not count.
 */
export type EventField = 'actor' | 'target' | 'ip' | `details.${string}`;

interface RuleBase {
  id: string;
  version: number;
  title: string;
  severity: Severity;
  /** The window of the rule and the dedup window of its alerts, per group. */
  windowMs: number;
}

/** `count` matching events in the window for one group value. */
export interface ThresholdRule extends RuleBase {
  kind: 'threshold';
  match: EventMatcher;
  groupBy: EventField;
  count: number;
}

/** `count` distinct values of `field` in the window for one group value. */
export interface DistinctRule extends RuleBase {
  kind: 'distinct';
  match: EventMatcher;
  groupBy: EventField;
  field: EventField;
  count: number;
}

/** Steps in order by the same subject; each step names the field that holds the subject. */
export interface SequenceRule extends RuleBase {
  kind: 'sequence';
  steps: readonly { match: EventMatcher; groupBy: EventField }[];
}

/** Every matching event is itself an alert (deduplicated per group in the window). */
export interface SingleRule extends RuleBase {
  kind: 'single';
  match: EventMatcher;
  groupBy: EventField;
}

export type DetectionRule = ThresholdRule | DistinctRule | SequenceRule | SingleRule;

/** What an alert keeps of each triggering event: enough to investigate, no request bodies. */
export interface EventSummary {
  type: string;
  time: number;
  actor: string;
  target: string | null;
  outcome: string;
  ip: string | null;
  requestId: string | null;
}

/** A rule fired for one group: the capability stores it as an alert. */
export interface RuleHit {
  rule: DetectionRule;
  groupKey: string;
  events: EventSummary[];
}
