/**
 * Per-user and per-API-key IP allowlists for trading operations. A subject without a list (or
 * with an empty one) is unrestricted; with a list, trading requests must come from inside it.
 * Lists are stored in `network_ip_allowlists`, cached per process for `cacheMs`, and every
 * change is published so all replicas drop their copy at once. The check itself is the pure
 * `isIpAllowed(ip, cidrs)` from ./ip.ts.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../lib/clock/index.js';
import { toDbTime, type Tables } from '../../lib/db/index.js';
import type { SecurityEventBus } from '../../lib/events/index.js';
import type { StateStore } from '../../lib/state/index.js';
import { createBoundedMap } from './bounded-map.js';
import { isIpAllowed, parseCidr } from './ip.js';
import type { ActionContext } from './rules/types.js';

export const ALLOWLIST_CHANNEL = 'net:allowlists';
export const MAX_ALLOWLIST_ENTRIES = 64;

export interface AllowlistSubject {
  kind: 'user' | 'apikey';
  id: string;
}

export type AllowlistVerdict = { allowed: true } | { allowed: false; subject: AllowlistSubject };

export interface IpAllowlists {
  get(subject: AllowlistSubject): Promise<readonly string[]>;
  /** Replaces the list (an empty list removes the restriction). Entries are validated and canonicalised. */
  replace(subject: AllowlistSubject, cidrs: readonly string[], context: ActionContext): Promise<readonly string[]>;
  /** Trading check for a principal: its user list, and its API key's list when it is a key. */
  check(ip: string, subjects: readonly AllowlistSubject[]): Promise<AllowlistVerdict>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface IpAllowlistOptions {
  db: Kysely<Tables>;
  state: StateStore;
  events: SecurityEventBus;
  clock: Clock;
  cacheMs: number;
  maxCached: number;
}

/** Canonical, de-duplicated CIDRs; a TypeError names the first bad entry (callers validate first). */
export function normaliseAllowlist(cidrs: readonly string[]): string[] {
  if (cidrs.length > MAX_ALLOWLIST_ENTRIES) throw new TypeError(`at most ${MAX_ALLOWLIST_ENTRIES} entries`);
  const out = new Set<string>();
  for (const entry of cidrs) {
    const cidr = parseCidr(entry);
    if (!cidr) throw new TypeError(`not an IPv4/IPv6 address or CIDR: ${String(entry).slice(0, 60)}`);
    out.add(cidr.text);
  }
  return [...out];
}

const keyOf = (s: AllowlistSubject) => `${s.kind}:${s.id}`;

export function createIpAllowlists(options: IpAllowlistOptions): IpAllowlists {
  const { db, state, events, clock } = options;
  const cache = createBoundedMap<string, { cidrs: readonly string[]; until: number }>(options.maxCached);
  let unsubscribe: (() => Promise<void>) | undefined;

  async function get(subject: AllowlistSubject): Promise<readonly string[]> {
    const key = keyOf(subject);
    const now = clock.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.cidrs;
    const row = await db.selectFrom('network_ip_allowlists').select('cidrs')
      .where('subject_kind', '=', subject.kind).where('subject_id', '=', subject.id).executeTakeFirst();
    const cidrs: readonly string[] = row ? Object.freeze(JSON.parse(row.cidrs) as string[]) : Object.freeze([]);
    cache.set(key, { cidrs, until: now + options.cacheMs });
    return cidrs;
  }

  return {
    get,
    async replace(subject, input, context) {
      const cidrs = normaliseAllowlist(input);
      const now = toDbTime(clock.now());
      if (cidrs.length === 0) {
        await db.deleteFrom('network_ip_allowlists').where('subject_kind', '=', subject.kind).where('subject_id', '=', subject.id).execute();
      } else {
        const values = { subject_kind: subject.kind, subject_id: subject.id, cidrs: JSON.stringify(cidrs), updated_by: context.actor, updated_at: now };
        await db.insertInto('network_ip_allowlists').values(values)
          .onConflict((oc) => oc.columns(['subject_kind', 'subject_id']).doUpdateSet({ cidrs: values.cidrs, updated_by: values.updated_by, updated_at: now }))
          .execute();
      }
      cache.delete(keyOf(subject));
      events.emit({
        type: 'network.allowlist_changed', actor: context.actor, target: keyOf(subject), outcome: 'success',
        ip: context.ip ?? null, requestId: context.requestId ?? null, details: { cidrs },
      });
      await state.publish(ALLOWLIST_CHANNEL, keyOf(subject));
      return cidrs;
    },
    async check(ip, subjects) {
      const lists = await Promise.all(subjects.map((s) => get(s)));
      for (let i = 0; i < subjects.length; i++) {
        if (!isIpAllowed(ip, lists[i] as readonly string[])) return { allowed: false, subject: subjects[i] as AllowlistSubject };
      }
      return { allowed: true };
    },
    async start() {
      unsubscribe = await state.subscribe(ALLOWLIST_CHANNEL, (key) => cache.delete(key));
    },
    async stop() {
      await unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
