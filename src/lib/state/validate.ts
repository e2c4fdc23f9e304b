/** Argument checks shared by both adapters: misuse is a TypeError, the same on each. */

const MAX_KEY_LENGTH = 1024;

export function assertKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new TypeError(`state ${what} must be a string of 1..${MAX_KEY_LENGTH} characters`);
  }
}

export function assertValue(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError('state value must be a string');
}

export function assertPositiveInt(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer`);
  }
}

export function assertOptionalTtl(ttlMs: unknown): asserts ttlMs is number | undefined {
  if (ttlMs !== undefined) assertPositiveInt(ttlMs, 'ttlMs');
}

export function assertSafeInt(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be a safe integer`);
}

export function assertBucket(capacity: unknown, refillPerSecond: unknown, cost: unknown): void {
  assertPositiveInt(capacity, 'capacity');
  if (typeof refillPerSecond !== 'number' || !Number.isFinite(refillPerSecond) || refillPerSecond <= 0) {
    throw new TypeError('refillPerSecond must be a positive finite number');
  }
  assertPositiveInt(cost, 'cost');
  if (cost > capacity) throw new TypeError('cost must not exceed capacity (the request could never succeed)');
}
