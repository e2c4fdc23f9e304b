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
 * A field of the event used as group key or distinct value: `actor`, `target`, `ip`,
 * `details.<name>` (string values only), or `geo.country` (the ISO country of `ip`, looked up
 * offline). An event whose field is missing (or whose address is not located) does not count.
 */
export type EventField = 'actor' | 'target' | 'ip' | 'geo.country' | `details.${string}`;

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

/**
 * Impossible travel: the speed implied by this located event and the group's previous located
 * event exceeds `maxKmh`. Distances shorter than `minKm` (after subtracting both locations'
 * accuracy radii) never fire: nearby addresses, VPN exits and geolocation jitter. `windowMs` is
 * both how long the previous location is remembered and the alert dedup window.
 */
export interface TravelRule extends RuleBase {
  kind: 'travel';
  match: EventMatcher;
  groupBy: EventField;
  maxKmh: number;
  minKm: number;
}

/**
 * A value of `field` never seen for the group, once the group has an established history of at
 * least `minHistory` earlier observations (new country, new device). The history keeps the
 * `maxValues` most recently seen values for `historyMs` after the last observation.
 */
export interface NewValueRule extends RuleBase {
  kind: 'new-value';
  match: EventMatcher;
  groupBy: EventField;
  field: EventField;
  minHistory: number;
  maxValues: number;
  historyMs: number;
}

export type DetectionRule = ThresholdRule | DistinctRule | SequenceRule | SingleRule | TravelRule | NewValueRule;

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
  /** What the rule measured (travel speed, the new country, …): added to `alert.raised` details. */
  facts?: Readonly<Record<string, string | number>>;
}
