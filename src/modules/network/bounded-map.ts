/**
 * A Map with a size bound for per-process caches keyed by client (refusals, risk tiers, event
 * dedupe). Attackers choose the keys, so every such cache must be bounded; when full, the
 * oldest-inserted entry goes (a `set` re-inserts, so active keys stay). Dropping an entry only
 * costs a trip to the shared store or one extra event, never a wrong security answer.
 */
export interface BoundedMap<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): void;
  readonly size: number;
  clear(): void;
}

export function createBoundedMap<K, V>(max: number): BoundedMap<K, V> {
  if (!Number.isSafeInteger(max) || max <= 0) throw new TypeError('max must be a positive integer');
  const map = new Map<K, V>();
  return {
    get: (key) => map.get(key),
    set(key, value) {
      map.delete(key);
      if (map.size >= max) {
        const oldest = map.keys().next();
        if (!oldest.done) map.delete(oldest.value);
      }
      map.set(key, value);
    },
    delete: (key) => {
      map.delete(key);
    },
    get size() {
      return map.size;
    },
    clear: () => map.clear(),
  };
}
